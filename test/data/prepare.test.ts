import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCase, loadDataset, trainCounts } from '../../src/data/dataset.js';
import { kcoreFilter, prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { plainDataset, tempDir, writeDir } from '../support/fixtures.js';

const opts: { format: 'auto'; kcore: number; missingMeta: 'error' | 'drop'; timestampUnit?: 's' | 'ms' } = {
  format: 'auto',
  kcore: 1,
  missingMeta: 'error',
};

async function prepared(data: string, extra: Partial<typeof opts> = {}) {
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, ...opts, ...extra });
  return { ws, report, ds: loadDataset(ws) };
}

test('plain format: chronological order with file order breaking ties, leave-one-out split persisted', async () => {
  const data = plainDataset(
    [
      ['a', 'x3', 300],
      ['a', 'x1', 100],
      ['a', 'x2', 200],
      ['a', 'x4', 200], // same time as x2, later in the file: after x2
      ['b', 'x2', 50],
      ['b', 'x1', 60],
      ['b', 'x3', 70],
    ],
    ['x1', 'x2', 'x3', 'x4'].map((id) => ({ id, title: `Title ${id}` })),
  );
  const { ws, ds, report } = await prepared(data);
  assert.deepEqual(report.kept, {
    interactions: 7,
    users: 2,
    items: 4,
    withReviews: 0,
    withRatings: 0,
    untitledItems: 0,
    textlessItems: 0,
  });
  const ids = (u: number) => [...ds.sequences[u]].map((i) => ds.items[i].id);
  assert.deepEqual(ids(ds.userIndex.get('a')!), ['x1', 'x2', 'x4', 'x3']);
  const splits = ws.db
    .prepare('SELECT split FROM interactions WHERE user_idx = ? ORDER BY pos')
    .pluck()
    .all(ds.userIndex.get('a')) as string[];
  assert.deepEqual(splits, ['train', 'train', 'valid', 'test']);
  const test = evalCase(ds, ds.userIndex.get('a')!, 'test');
  assert.equal(ds.items[test.target].id, 'x3');
  assert.deepEqual(
    [...test.history].map((i) => ds.items[i].id),
    ['x1', 'x2', 'x4'],
  );
  const valid = evalCase(ds, ds.userIndex.get('a')!, 'valid');
  assert.equal(ds.items[valid.target].id, 'x4');
  // Popularity counts training positions only: x1, x2 for a; x2 for b.
  const counts = trainCounts(ds);
  assert.equal(counts[ds.itemIndex.get('x2')!], 2);
  assert.equal(counts[ds.itemIndex.get('x3')!], 0);
});

test('iterative k-core removes until every user and item has k interactions', () => {
  // Item 2 has one interaction; removing it leaves user 1 with one, so a second round removes
  // user 1 (and its item-1 row); item 1 still has two rows from users 0 and 2.
  const users = Int32Array.from([0, 0, 1, 1, 2, 2, 0, 2]);
  const items = Int32Array.from([0, 3, 1, 2, 0, 3, 1, 1]);
  const keep = new Uint8Array(users.length).fill(1);
  const removed = kcoreFilter(users, items, keep, 3, 4, 2);
  assert.deepEqual([...keep], [1, 1, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(removed, { interactions: 2, users: 1, items: 1, rounds: 3 });
});

test('users too short for a split are dropped and reported', async () => {
  const data = plainDataset(
    [
      ['a', 'x1', 1],
      ['a', 'x2', 2],
      ['a', 'x1', 3],
      ['b', 'x1', 1],
      ['b', 'x2', 2],
    ],
    [
      { id: 'x1', title: 'One' },
      { id: 'x2', title: 'Two' },
    ],
  );
  const { report } = await prepared(data);
  assert.deepEqual(report.filtered.tooShortForSplit, { users: 1, interactions: 2 });
  assert.equal(report.kept.users, 1);
});

test('missing metadata can be dropped and is reported', async () => {
  const data = plainDataset(
    [
      ['a', 'x1', 1],
      ['a', 'x2', 2],
      ['a', 'ghost', 3],
      ['a', 'x1', 4],
    ],
    [
      { id: 'x1', title: 'One' },
      { id: 'x2', title: 'Two' },
    ],
  );
  const { report } = await prepared(data, { missingMeta: 'drop' });
  assert.deepEqual(report.filtered.missingMetadata, { interactions: 1, items: 1 });
  assert.equal(report.kept.interactions, 3);
});

test('plain format, gzipped or not, with a byte order mark and CRLF line ends in either file', async () => {
  const bom = '\uFEFF';
  const csv = `${bom}user_id,item_id,timestamp\r\na,x1,1\r\na,x2,2\r\na,x1,3\r\n`;
  const jsonl = `${bom}{"item_id": "x1", "title": "One"}\r\n{"item_id": "x2", "title": "Two"}\r\n`;
  for (const files of [
    { 'interactions.csv': csv, 'items.jsonl': jsonl },
    { 'interactions.csv.gz': csv, 'items.jsonl.gz': jsonl },
  ] as Array<Record<string, string>>) {
    const { report, ds } = await prepared(writeDir(files));
    assert.equal(report.kept.interactions, 3);
    assert.deepEqual(
      ds.items.map((it) => [it.id, it.title]),
      [
        ['x1', 'One'],
        ['x2', 'Two'],
      ],
    );
  }
});

test('--timestamp-unit ms reads millisecond timestamps as Unix seconds', async () => {
  const data = plainDataset(
    [
      ['a', 'x1', 1_300_000_000_000],
      ['a', 'x2', 1_300_000_001_500],
      ['a', 'x1', 1_300_000_002_000],
    ],
    [
      { id: 'x1', title: 'One' },
      { id: 'x2', title: 'Two' },
    ],
  );
  await assert.rejects(prepared(data), /look like milliseconds; use --timestamp-unit ms/);
  const { ds } = await prepared(data, { timestampUnit: 'ms' });
  assert.deepEqual([...ds.times[0]], [1_300_000_000, 1_300_000_001.5, 1_300_000_002]);
});

const review = (user: string, asin: string, t: number, text: string) =>
  JSON.stringify({ reviewerID: user, asin, unixReviewTime: t, overall: 4, reviewText: text, summary: 'ok' });

test('Amazon 2014 dump: gzip JSON reviews with Python-literal metadata, reviews and ratings kept', async () => {
  const data = writeDir({
    'reviews_Beauty.json.gz': [
      review('u1', 'A1', 10, 'nice'),
      review('u1', 'A2', 20, 'good'),
      review('u1', 'A3', 30, 'great'),
    ].join('\n'),
    'meta_Beauty.json.gz': [
      `{'asin': 'A1', 'title': 'Rose Oil', 'categories': [['Beauty', 'Skin Care']], 'brand': 'Acme'}`,
      `{'asin': 'A2', 'title': "Tea Tree's Soap", 'categories': [['Beauty', 'Bath']]}`,
      `{'asin': 'A3', 'categories': [['Beauty']], 'description': 'A comb'}`,
      `{'asin': 'UNUSED', 'title': 'Never bought'}`,
    ].join('\n'),
  });
  const { ds, report, ws } = await prepared(data);
  assert.equal(report.format, 'amazon');
  assert.deepEqual(report.kept, {
    interactions: 3,
    users: 1,
    items: 3,
    withReviews: 3,
    withRatings: 3,
    untitledItems: 1,
    textlessItems: 0,
  });
  assert.equal(ds.items[ds.itemIndex.get('A2')!].title, "Tea Tree's Soap");
  assert.deepEqual(ds.items[ds.itemIndex.get('A1')!].categories, [['Beauty', 'Skin Care']]);
  assert.equal(ds.items[ds.itemIndex.get('A3')!].description, 'A comb');
  const texts = ws.db.prepare('SELECT review FROM interactions ORDER BY pos').pluck().all();
  assert.deepEqual(texts, ['ok. nice', 'ok. good', 'ok. great']);
});

test('Amazon 2018 dump: JSON metadata with a flat category list', async () => {
  const data = writeDir({
    'All_Beauty.json': [review('u1', 'B1', 10, 'x'), review('u1', 'B2', 20, 'y'), review('u1', 'B1', 30, 'z')].join(
      '\n',
    ),
    'meta_All_Beauty.json': [
      JSON.stringify({
        asin: 'B1',
        title: 'Shampoo',
        category: ['All Beauty', 'Hair'],
        brand: 'Suave',
        description: ['Clean', 'hair'],
      }),
      JSON.stringify({ asin: 'B2', title: 'Brush', category: [], brand: '' }),
    ].join('\n'),
  });
  const { ds } = await prepared(data);
  const b1 = ds.items[ds.itemIndex.get('B1')!];
  assert.deepEqual(b1.categories, [['All Beauty', 'Hair']]);
  assert.equal(b1.description, 'Clean hair');
  assert.equal(ds.items[ds.itemIndex.get('B2')!].brand, null);
});

test('Yelp Open Dataset: reviews and businesses', async () => {
  const r = (u: string, b: string, date: string) =>
    JSON.stringify({ review_id: `${u}${b}`, user_id: u, business_id: b, stars: 5, text: 'tasty', date });
  const data = writeDir({
    'yelp_academic_dataset_review.json': [
      r('u', 'b1', '2019-11-03 12:00:00'),
      r('u', 'b2', '2019-11-03 12:12:00'),
      r('u', 'b1', '2019-11-04 09:00:00'),
    ].join('\n'),
    'yelp_academic_dataset_business.json': [
      JSON.stringify({
        business_id: 'b1',
        name: 'Panda Express',
        address: '908 E Broadway Ave',
        city: 'Tempe',
        state: 'AZ',
        categories: 'Chinese, Fast Food',
      }),
      JSON.stringify({ business_id: 'b2', name: 'Cafe', city: 'Mesa', state: 'AZ', categories: null }),
    ].join('\n'),
  });
  const { ds, report } = await prepared(data);
  assert.equal(report.format, 'yelp');
  const b1 = ds.items[ds.itemIndex.get('b1')!];
  assert.deepEqual(b1.categories, [['Chinese', 'Fast Food']]);
  assert.equal(b1.description, '908 E Broadway Ave, Tempe, AZ');
  assert.equal(ds.times[0][1] - ds.times[0][0], 12 * 60);
});
