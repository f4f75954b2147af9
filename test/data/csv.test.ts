import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseColumnMap } from '../../src/data/formats/csv.js';
import { loadDataset } from '../../src/data/dataset.js';
import { prepare, type PrepareOptions } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { tempDir, writeDir } from '../support/fixtures.js';

const COLUMNS = { user: 'uid', item: 'sku', time: 'ts', rating: 'stars' };

async function prepared(data: string, extra: Partial<PrepareOptions> = {}) {
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, format: 'csv', columns: COLUMNS, kcore: 1, missingMeta: 'error', ...extra });
  return { ws, report, ds: loadDataset(ws) };
}

const ROWS = [
  'sku,stars,uid,ts,store',
  'k2,4,alice,2021-03-01,web',
  'k1,,alice,1614600000,web', // 2021-03-01T12:00:00Z as a number
  'k3,5,alice,2021-03-02T08:30:00+02:00,app',
  'k1,3,bob,2021-03-01 06:00:00,app',
  'k2,2.5,bob,2021-03-01T06:00:00.5Z,app',
  'k3,1,bob,2021-03-05,web',
];

test('any CSV: columns by name in any order, ISO-8601 dates and Unix seconds, no item file', async () => {
  const data = join(writeDir({ 'events.csv': ROWS.join('\n') }), 'events.csv');
  const { ds, report, ws } = await prepared(data);
  assert.equal(report.format, 'csv');
  assert.equal(report.itemsFile, null);
  assert.equal(ds.name, 'events');
  assert.deepEqual(report.notes, ['events.csv: columns not read: store']);
  assert.deepEqual(report.kept, {
    interactions: 6,
    users: 2,
    items: 3,
    withReviews: 0,
    withRatings: 5,
    untitledItems: 3,
    textlessItems: 3,
  });
  // Without an item file, items are their ids, numbered in order of first appearance.
  assert.deepEqual(ds.items, [
    { id: 'k2', title: '', categories: [], brand: null, description: null },
    { id: 'k1', title: '', categories: [], brand: null, description: null },
    { id: 'k3', title: '', categories: [], brand: null, description: null },
  ]);
  const ids = (u: number) => [...ds.sequences[u]].map((i) => ds.items[i].id);
  assert.deepEqual(ids(0), ['k2', 'k1', 'k3']);
  assert.deepEqual([...ds.times[0]], [1614556800, 1614600000, 1614666600]);
  assert.deepEqual(ids(1), ['k1', 'k2', 'k3']);
  assert.deepEqual([...ds.times[1]], [1614578400, 1614578400.5, 1614902400]);
  const ratings = ws.db.prepare('SELECT rating FROM interactions ORDER BY user_idx, pos').pluck().all();
  assert.deepEqual(ratings, [4, null, 5, 3, 2.5, 1]);
});

test('any CSV: a folder holding one .tsv file, an item file, millisecond timestamps', async () => {
  const dir = writeDir({
    'log.tsv.gz': ['user\titem\twhen', 'u\ta\t1614556800000', 'u\tb\t1614556801500', 'u\ta\t1614556802000'].join('\n'),
    'catalogue.jsonl': [
      JSON.stringify({ item_id: 'a', title: 'Alpha', categories: ['Tools'], brand: 'Acme' }),
      JSON.stringify({ item_id: 'b', categories: [['Tools', 'Saws']], brand: null }),
    ].join('\n'),
  });
  const { ds, report } = await prepared(dir, {
    columns: { user: 'user', item: 'item', time: 'when' },
    items: join(dir, 'catalogue.jsonl'),
    timestampUnit: 'ms',
  });
  assert.equal(report.itemsFile, join(dir, 'catalogue.jsonl'));
  assert.deepEqual(ds.items, [
    { id: 'a', title: 'Alpha', categories: [['Tools']], brand: 'Acme', description: null },
    { id: 'b', title: '', categories: [['Tools', 'Saws']], brand: null, description: null },
  ]);
  assert.deepEqual([...ds.times[0]], [1614556800, 1614556801.5, 1614556802]);
  assert.equal(report.kept.untitledItems, 1);
  assert.equal(report.kept.textlessItems, 0);
});

test('any CSV refusals: a missing mapped column, milliseconds declared as seconds, a bad date, no --columns', async () => {
  const data = (rows: string[]) => join(writeDir({ 'e.csv': rows.join('\n') }), 'e.csv');
  await assert.rejects(
    prepared(data(['uid,sku,when', 'a,k1,1'])),
    /^UserError: e\.csv line 1: missing column "ts" \(header is "uid,sku,when"; named by --columns user=uid,item=sku,time=ts,rating=stars\)$/,
  );
  await assert.rejects(
    prepared(data(['uid,sku,ts,stars', 'a,k1,1614556800000,1'])),
    /^UserError: e\.csv line 2: field "ts" is 1614556800000: as Unix seconds that is after the year 5138, so these look like milliseconds; use --timestamp-unit ms$/,
  );
  await assert.rejects(
    prepared(data(['uid,sku,ts,stars', 'a,k1,2021-02-30,1'])),
    /^UserError: e\.csv line 2: field "ts" is "2021-02-30", not a real date; expected an ISO-8601 date/,
  );
  await assert.rejects(
    prepared(data(['uid,sku,ts,stars', 'a,k1,yesterday,1'])),
    /^UserError: e\.csv line 2: field "ts" is "yesterday", expected Unix seconds as a decimal number \(e\.g\. 1300000000\) or an ISO-8601 date/,
  );
  await assert.rejects(
    prepared(data(['uid,sku,ts', 'a,k1,1']), { columns: undefined }),
    /--format csv needs --columns user=COLUMN/,
  );
  await assert.rejects(
    prepared(writeDir({ 'a.csv': 'x', 'b.csv': 'y' })),
    /--format csv needs the file, or a folder with exactly one \.csv or \.tsv file; found a\.csv, b\.csv$/,
  );
});

test('--columns: KEY=COLUMN pairs, every required key, no unknown or repeated key', () => {
  assert.deepEqual(parseColumnMap('user=uid,item=sku,time=ts', ['user', 'item', 'time']), {
    user: 'uid',
    item: 'sku',
    time: 'ts',
  });
  assert.deepEqual(parseColumnMap('item=business_id', []), { item: 'business_id' });
  assert.throws(() => parseColumnMap('user=uid,item=sku', ['user', 'item', 'time']), /names no column for time/);
  assert.throws(
    () => parseColumnMap('user=uid,price=p', []),
    /unknown key "price" \(expected user, item, time, rating\)/,
  );
  assert.throws(() => parseColumnMap('user=a,user=b', []), /"user" is named twice/);
  assert.throws(() => parseColumnMap('user', []), /"user" is not KEY=COLUMN/);
});
