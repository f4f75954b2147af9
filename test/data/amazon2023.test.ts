import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/dataset.js';
import { prepare, type PrepareOptions } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { tempDir, writeDir } from '../support/fixtures.js';

async function prepared(data: string, extra: Partial<PrepareOptions> = {}) {
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, format: 'auto', kcore: 1, missingMeta: 'error', ...extra });
  return { ws, report, ds: loadDataset(ws) };
}

const T = 1_588_615_855_070; // milliseconds, as the release writes them
const review = (user: string, parent: string, ms: number, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    rating: 5,
    title: 'Great',
    text: 'Smells nice',
    images: [],
    asin: `${parent}-variant`,
    parent_asin: parent,
    user_id: user,
    timestamp: ms,
    helpful_vote: 0,
    verified_purchase: true,
    ...fields,
  });

const META = [
  JSON.stringify({
    main_category: 'All Beauty',
    title: 'Rose Cream',
    categories: ['Beauty', 'Skin Care', 'Face'],
    store: 'Acme',
    features: ['Light texture'],
    description: ['A soft cream.', 'For dry skin.'],
    details: '{"Brand": "Not Acme", "Item Form": "Cream"}',
    parent_asin: 'P1',
  }),
  JSON.stringify({
    main_category: 'All Beauty',
    title: '',
    categories: [],
    store: null,
    features: [],
    description: [],
    details: { Brand: 'Bee' },
    parent_asin: 'P2',
  }),
  JSON.stringify({ parent_asin: 'P3', categories: [], features: [], description: [], details: {} }),
  JSON.stringify({ title: 'Never reviewed', parent_asin: 'P4' }),
].join('\n');

const reviews = () =>
  [
    review('U1', 'P1', T),
    review('U2', 'P2', T + 500),
    review('U1', 'P2', T + 86_400_000, { title: '', text: 'ok', rating: 3 }),
    review('U1', 'P3', T + 86_400_000), // same time: file order breaks the tie
    review('U2', 'P1', T + 1_000),
    review('U2', 'P3', T + 2_000),
  ].join('\n');

test('Amazon Reviews 2023: parent_asin items, millisecond timestamps, store as brand, review title and text kept', async () => {
  const data = writeDir({ 'All_Beauty.jsonl.gz': reviews(), 'meta_All_Beauty.jsonl': META });
  const { ds, report, ws } = await prepared(data);
  assert.equal(report.format, 'amazon2023');
  assert.deepEqual(report.read, { interactions: 6, users: 2, items: 3, metadataRecords: 4 });
  assert.deepEqual(report.kept, {
    interactions: 6,
    users: 2,
    items: 3,
    withReviews: 6,
    withRatings: 6,
    untitledItems: 2,
    textlessItems: 1,
  });
  assert.deepEqual(ds.items, [
    {
      id: 'P1',
      title: 'Rose Cream',
      categories: [['Beauty', 'Skin Care', 'Face']],
      brand: 'Acme',
      description: 'A soft cream. For dry skin. Light texture',
    },
    // No store: the details' Brand; no categories: the main category.
    { id: 'P2', title: '', categories: [['All Beauty']], brand: 'Bee', description: null },
    { id: 'P3', title: '', categories: [], brand: null, description: null },
  ]);
  assert.deepEqual(ds.userIds, ['U1', 'U2']);
  const ids = (u: number) => [...ds.sequences[u]].map((i) => ds.items[i].id);
  assert.deepEqual(ids(0), ['P1', 'P2', 'P3']);
  assert.deepEqual(ids(1), ['P2', 'P1', 'P3']);
  assert.deepEqual([...ds.times[0]], [T / 1000, T / 1000 + 86_400, T / 1000 + 86_400]);
  assert.deepEqual([...ds.times[1]], [(T + 500) / 1000, (T + 1_000) / 1000, (T + 2_000) / 1000]);
  const rows = ws.db.prepare('SELECT review, rating FROM interactions WHERE user_idx = 0 ORDER BY pos').all();
  assert.deepEqual(rows, [
    { review: 'Great. Smells nice', rating: 5 },
    { review: 'ok', rating: 3 },
    { review: 'Great. Smells nice', rating: 5 },
  ]);
});

test('Amazon releases are told apart by the first review line, and a wrong --format names the right one', async () => {
  const v2023 = writeDir({ 'Beauty.jsonl': reviews(), 'meta_Beauty.jsonl': META });
  await assert.rejects(
    prepared(v2023, { format: 'amazon' }),
    /^UserError: --format amazon: Beauty\.jsonl is Amazon Reviews 2023 \(its first line has "parent_asin"\); use --format amazon2023 or auto$/,
  );
  assert.equal((await prepared(v2023, { format: 'amazon2023' })).report.format, 'amazon2023');
  const v2018 = writeDir({
    'Beauty.json': JSON.stringify({ reviewerID: 'u', asin: 'A1', unixReviewTime: 1, overall: 5 }),
    'meta_Beauty.json': JSON.stringify({ asin: 'A1', title: 'One' }),
  });
  await assert.rejects(
    prepared(v2018, { format: 'amazon2023' }),
    /--format amazon2023: Beauty\.json is an Amazon 2014\/2018 dump \(its first line has "reviewerID"\); use --format amazon or auto$/,
  );
  const neither = writeDir({
    'Beauty.jsonl': '\n{"user": "u", "item": "A1", "time": 1}\n',
    'meta_Beauty.jsonl': META,
  });
  await assert.rejects(
    prepared(neither),
    /^UserError: Beauty\.jsonl line 2: neither an Amazon 2014\/2018 review \(reviewerID, asin, unixReviewTime\) nor an Amazon Reviews 2023 review \(user_id, parent_asin, timestamp\); its fields are user, item, time$/,
  );
});

test('Amazon Reviews 2023 refusals: a meta line without parent_asin, seconds for milliseconds, --timestamp-unit s', async () => {
  const noParent = writeDir({
    'Beauty.jsonl': reviews(),
    'meta_Beauty.jsonl': `${META.split('\n')[0]}\n${JSON.stringify({ title: 'x', asin: 'P2' })}\n`,
  });
  await assert.rejects(
    prepared(noParent),
    /^UserError: meta_Beauty\.jsonl line 2: field "parent_asin" is missing, expected a non-empty string$/,
  );
  const seconds = writeDir({
    'Beauty.jsonl': [review('U1', 'P1', 1_588_615_855), review('U1', 'P2', 1_588_615_856)].join('\n'),
    'meta_Beauty.jsonl': META,
  });
  await assert.rejects(
    prepared(seconds),
    /^UserError: Beauty\.jsonl line 1: field "timestamp" is 1588615855: Amazon Reviews 2023 timestamps are Unix milliseconds, and as milliseconds that is before March 1973, so these look like seconds$/,
  );
  const data = writeDir({ 'Beauty.jsonl': reviews(), 'meta_Beauty.jsonl': META });
  await assert.rejects(
    prepared(data, { timestampUnit: 's' }),
    /^UserError: --timestamp-unit s: Amazon Reviews 2023 timestamps are milliseconds by definition; leave the flag out$/,
  );
  const badDetails = writeDir({
    'Beauty.jsonl': reviews(),
    'meta_Beauty.jsonl': JSON.stringify({ parent_asin: 'P1', details: '{"Brand": ' }),
  });
  await assert.rejects(
    prepared(badDetails),
    /^UserError: meta_Beauty\.jsonl line 1: field "details" is a string that is not a JSON object$/,
  );
});
