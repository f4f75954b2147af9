import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { DEFAULT_VERBALIZE } from '../../src/data/verbalize.js';
import { itemTexts, withMetadata } from '../../src/r2end/texts.js';

test('item texts: metadata first, the description after; an item with no text gets the description alone or nothing', () => {
  assert.equal(
    withMetadata('Rose Oil (Brand: Acme)', 'Users who prefer oils.'),
    'Rose Oil (Brand: Acme). Users who prefer oils.',
  );
  assert.equal(withMetadata('', 'Users who prefer oils.'), 'Users who prefer oils.');
  assert.equal(withMetadata('Rose Oil', undefined), 'Rose Oil');
  const items = [
    { id: 'a', title: 'Rose Oil', categories: [], brand: 'Acme', description: null },
    { id: 'b', title: '', categories: [['Sports', 'Golf']], brand: null, description: null },
    { id: 'c', title: '', categories: [], brand: null, description: null },
    { id: 'd', title: '', categories: [], brand: null, description: null },
  ];
  const ds = { items } as unknown as Dataset;
  assert.deepEqual(itemTexts(ds, new Map([[3, 'Users who prefer golf.']]), DEFAULT_VERBALIZE), [
    'Rose Oil (Brand: Acme)',
    'Category: Sports > Golf',
    '',
    'Users who prefer golf.',
  ]);
});
