import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Item } from '../../src/data/types.js';
import {
  DEFAULT_VERBALIZE,
  itemName,
  itemText,
  selectHistory,
  verbalizeHistory,
  verbalizeSchema,
} from '../../src/data/verbalize.js';

const DAY = 86_400;
const T0 = Date.UTC(2014, 1, 4) / 1000; // 2014-02-04
const item = (title: string, brand: string | null = null, categories: string[][] = [['Beauty', 'Makeup']]): Item => ({
  id: title,
  title,
  categories,
  brand,
  description: null,
});

test('selectHistory keeps the 8 most recent within 60 days before the reference, oldest first', () => {
  const times = Array.from({ length: 12 }, (_, i) => T0 + i * DAY);
  assert.deepEqual(selectHistory(times, T0 + 11 * DAY), [4, 5, 6, 7, 8, 9, 10, 11]);
  // Only the last two fall in a 60-day window before the reference.
  const sparse = [T0, T0 + 100 * DAY, T0 + 150 * DAY, T0 + 160 * DAY];
  assert.deepEqual(selectHistory(sparse, T0 + 170 * DAY), [2, 3]);
  // None in the window: the single most recent.
  assert.deepEqual(selectHistory(sparse, T0 + 400 * DAY), [3]);
  // Interactions after the reference time are never used.
  assert.deepEqual(selectHistory(sparse, T0 + 120 * DAY), [1]);
  assert.deepEqual(selectHistory([], T0), []);
});

test('itemText: title with categories and brand, fields configurable', () => {
  const it = item('OPI Nail Lacquer', 'OPI', [['Beauty', 'Makeup', 'Nails']]);
  assert.equal(itemText(it), 'OPI Nail Lacquer (Category: Beauty > Makeup > Nails; Brand: OPI)');
  assert.equal(itemText(it, ['title']), 'OPI Nail Lacquer');
  assert.equal(itemText(item('Plain', null, [])), 'Plain');
  assert.equal(itemText({ ...it, title: '' }), 'Category: Beauty > Makeup > Nails; Brand: OPI');
});

test('verbalizeHistory golden text (paper appendix I.1 format)', () => {
  const entries = [
    { item: item('Old Cream'), timestamp: T0 - 200 * DAY },
    { item: item('LEGO City Fire Chief Car', 'LEGO', [['Toys', 'Building Sets']]), timestamp: T0 },
    { item: item('Carcassonne Basic Game'), timestamp: T0 + DAY },
    { text: 'a bar of handmade soap', timestamp: T0 + 2 * DAY },
  ];
  assert.equal(
    verbalizeHistory(entries, T0 + 3 * DAY),
    [
      '2014-02-04: LEGO City Fire Chief Car (Category: Toys > Building Sets; Brand: LEGO)',
      '2014-02-05: Carcassonne Basic Game (Category: Beauty > Makeup)',
      '2014-02-06: a bar of handmade soap',
    ].join('\n'),
  );
  const opts = verbalizeSchema.parse({
    maxItems: 2,
    order: 'newest-first',
    dates: false,
    fields: ['title'],
    separator: ' | ',
  });
  assert.equal(verbalizeHistory(entries, T0 + 3 * DAY, opts), 'a bar of handmade soap | Carcassonne Basic Game');
});

test('items without a title: encoder texts keep the fields present, prompts name the item by its id', () => {
  const untitled: Item = { id: 'B01', title: ' ', categories: [['Sports', 'Golf']], brand: 'Acme', description: null };
  const textless: Item = { id: 'B02', title: '', categories: [], brand: null, description: null };
  assert.equal(itemText(untitled), 'Category: Sports > Golf; Brand: Acme');
  assert.equal(itemText(untitled, undefined, 'id'), 'item B01 (Category: Sports > Golf; Brand: Acme)');
  assert.equal(itemText(textless), '');
  assert.equal(itemText(textless, undefined, 'id'), 'item B02');
  assert.equal(itemText(textless, ['brand'], 'id'), 'item B02');
  assert.equal(itemName(textless), 'item B02');
  assert.equal(itemName(item('Rose Oil')), 'Rose Oil');
  const entries = [
    { item: untitled, timestamp: T0 },
    { item: textless, timestamp: T0 + DAY },
    { item: item('Putter'), timestamp: T0 + 2 * DAY },
  ];
  // The encoder's text leaves out the line of an item with no text at all (a date alone says nothing).
  assert.equal(
    verbalizeHistory(entries, T0 + 3 * DAY),
    ['2014-02-04: Category: Sports > Golf; Brand: Acme', '2014-02-06: Putter (Category: Beauty > Makeup)'].join('\n'),
  );
  assert.equal(
    verbalizeHistory(entries, T0 + 3 * DAY, DEFAULT_VERBALIZE, 'id'),
    [
      '2014-02-04: item B01 (Category: Sports > Golf; Brand: Acme)',
      '2014-02-05: item B02',
      '2014-02-06: Putter (Category: Beauty > Makeup)',
    ].join('\n'),
  );
});
