import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { datasetFingerprint, loadDataset } from '../../src/data/dataset.js';
import { formatCategories, parseCategories } from '../../src/data/formats/recbole.js';
import { prepare, type PrepareOptions } from '../../src/data/prepare.js';
import { exportRecbole } from '../../src/data/recbole-export.js';
import { Workspace } from '../../src/data/workspace.js';
import { tempDir, writeDir } from '../support/fixtures.js';

async function prepared(data: string, extra: Partial<PrepareOptions> = {}) {
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, format: 'auto', kcore: 1, missingMeta: 'error', ...extra });
  return { ws, report, ds: loadDataset(ws) };
}

const tsv = (rows: string[][]) => rows.map((r) => r.join('\t')).join('\n') + '\n';

test('RecBole ml-100k files: typed header, token_seq titles and genres, fields not read are reported once', async () => {
  const data = writeDir({
    'ml-100k.inter': tsv([
      ['user_id:token', 'item_id:token', 'rating:float', 'timestamp:float'],
      ['196', '242', '3', '881250949'],
      ['196', '302', '3', '881250950'],
      ['186', '302', '3', '891717742'],
      ['196', '377', '1', '881250949'],
      ['186', '242', '', '891717743'],
      ['186', '377', '4.5', '891717744'],
    ]),
    'ml-100k.item': tsv([
      ['item_id:token', 'movie_title:token_seq', 'release_year:token', 'class:token_seq'],
      ['242', 'Kolya', '1996', 'Comedy'],
      ['302', 'L.A. Confidential', '1997', 'Crime Film-Noir Mystery Thriller'],
      ['377', 'Heavyweights', '1994', "Children's Comedy"],
    ]),
    'ml-100k.user': tsv([['user_id:token', 'age:token']]),
  });
  const { ds, report, ws } = await prepared(data);
  assert.equal(report.format, 'recbole');
  assert.deepEqual(report.notes, [
    'not read: ml-100k.user (r2end reads the .inter and .item files)',
    'ml-100k.item: fields not read: release_year',
  ]);
  assert.deepEqual(ds.items, [
    { id: '242', title: 'Kolya', categories: [['Comedy']], brand: null, description: null },
    {
      id: '302',
      title: 'L.A. Confidential',
      categories: [['Crime', 'Film-Noir', 'Mystery', 'Thriller']],
      brand: null,
      description: null,
    },
    { id: '377', title: 'Heavyweights', categories: [["Children's", 'Comedy']], brand: null, description: null },
  ]);
  assert.deepEqual(ds.userIds, ['196', '186']);
  const ids = (u: number) => [...ds.sequences[u]].map((i) => ds.items[i].id);
  assert.deepEqual(ids(0), ['242', '377', '302']);
  assert.deepEqual([...ds.times[0]], [881250949, 881250949, 881250950]);
  assert.deepEqual(ids(1), ['302', '242', '377']);
  const ratings = ws.db.prepare('SELECT rating FROM interactions ORDER BY user_idx, pos').pluck().all();
  assert.deepEqual(ratings, [3, 1, 3, 3, null, 4.5]);
});

test('RecBole Amazon and Yelp conversions: quoted category lists, brand, other field names through --columns', async () => {
  const amazon = writeDir({
    'Amazon_Beauty.inter': tsv([
      ['user_id:token', 'item_id:token', 'rating:float', 'timestamp:float'],
      ['A1', 'B1', '5.0', '1365811200.0'],
      ['A1', 'B2', '4.0', '1365897600.0'],
      ['A1', 'B1', '3.0', '1365984000.0'],
    ]),
    'Amazon_Beauty.item': tsv([
      [
        'item_id:token',
        'title:token',
        'sales_type:token',
        'sales_rank:float',
        'categories:token_seq',
        'price:float',
        'brand:token',
      ],
      ['B1', 'Rose Oil', 'Beauty', '12', "'Beauty', 'Skin Care', \"L'Oreal Line\"", '9.5', 'Acme Labs'],
      ['B2', '', '', '', '', '', ''],
    ]),
  });
  const { ds, report } = await prepared(amazon, { format: 'recbole' });
  assert.deepEqual(ds.items, [
    {
      id: 'B1',
      title: 'Rose Oil',
      categories: [['Beauty', 'Skin Care', "L'Oreal Line"]],
      brand: 'Acme Labs',
      description: null,
    },
    { id: 'B2', title: '', categories: [], brand: null, description: null },
  ]);
  assert.deepEqual(report.notes, ['Amazon_Beauty.item: fields not read: sales_type, sales_rank, price']);
  assert.equal(report.kept.textlessItems, 1);

  const yelp = writeDir({
    'yelp.inter': tsv([
      ['review_id:token', 'user_id:token', 'business_id:token', 'stars:float', 'useful:float', 'date:float'],
      ['r1', 'u', 'b1', '5', '0', '1546300800'],
      ['r2', 'u', 'b2', '4', '1', '1546387200'],
      ['r3', 'u', 'b1', '3', '0', '1546473600'],
    ]),
    'yelp.item': tsv([
      ['business_id:token', 'item_name:token_seq', 'city:token_seq', 'categories:token_seq'],
      ['b1', 'Panda Express', 'Tempe', 'Chinese Fast_Food'],
      ['b2', 'Cafe Mesa', 'Mesa', ''],
    ]),
  });
  const y = await prepared(yelp, {
    format: 'recbole',
    columns: { item: 'business_id', time: 'date', rating: 'stars' },
  });
  assert.deepEqual(
    y.ds.items.map((it) => [it.id, it.title, it.categories]),
    [
      ['b1', 'Panda Express', [['Chinese', 'Fast_Food']]],
      ['b2', 'Cafe Mesa', []],
    ],
  );
  assert.deepEqual(y.report.notes, [
    'yelp.inter: columns not read: review_id, useful',
    'yelp.item: fields not read: city',
  ]);
  assert.equal(y.report.kept.withRatings, 3);
});

test('RecBole refusals: a header without types, an unknown type, a wrong type, a missing column, two .inter files', async () => {
  const inter = (header: string[], rows: string[][] = [['u', 'i', '1']]) =>
    writeDir({ 'd.inter': tsv([header, ...rows]) });
  await assert.rejects(
    prepared(inter(['user_id:token', 'item_id', 'timestamp:float'])),
    /^UserError: d\.inter line 1: column "item_id" has no type \(a RecBole header names each column as name:type, type one of token, token_seq, float, float_seq\)$/,
  );
  await assert.rejects(
    prepared(inter(['user_id:token', 'item_id:string', 'timestamp:float'])),
    /^UserError: d\.inter line 1: column "item_id" has type "string", expected one of token, token_seq, float, float_seq$/,
  );
  await assert.rejects(
    prepared(inter(['user_id:token', 'item_id:token', 'timestamp:token'])),
    /^UserError: d\.inter line 1: column "timestamp" is token, expected float$/,
  );
  await assert.rejects(
    prepared(inter(['user_id:token', 'item_id:token', 'time:float'])),
    /^UserError: d\.inter line 1: missing column "timestamp" \(header is "user_id:token\titem_id:token\ttime:float"; expected user_id:token, item_id:token, timestamp:float\[, rating:float\]; other names with --columns/,
  );
  await assert.rejects(
    prepared(inter(['user_id:token', 'item_id:token', 'timestamp:float'], [['u', 'i', '1300000000000']])),
    /^UserError: d\.inter line 2: field "timestamp" is 1300000000000: .*look like milliseconds; use --timestamp-unit ms$/,
  );
  await assert.rejects(
    prepared(writeDir({ 'd.train.inter': 'x', 'd.test.inter': 'x' })),
    /a RecBole folder needs exactly one \.inter file, found d\.test\.inter, d\.train\.inter/,
  );
});

test('category lists: written as RecBole Amazon files do and read back exactly', () => {
  const names = ['Beauty', 'Skin Care', "L'Oreal", 'say "hi"', 'back\\slash', 'both \' and "'];
  const text = formatCategories(names);
  assert.equal(text, `'Beauty', 'Skin Care', "L'Oreal", 'say "hi"', 'back\\\\slash', 'both \\' and "'`);
  assert.deepEqual(parseCategories(text, 'token_seq'), names);
  assert.deepEqual(parseCategories('Action  Comedy ', 'token_seq'), ['Action', 'Comedy']);
  assert.deepEqual(parseCategories('Skin Care', 'token'), ['Skin Care']);
  assert.deepEqual(parseCategories('', 'token_seq'), []);
});

/** A plain dataset with what a round trip must keep: ties, fractional seconds, ratings on some rows, odd texts. */
function roundTripData(): string {
  const rows: string[] = ['user_id,item_id,timestamp,rating'];
  for (let u = 0; u < 9; u++)
    for (let p = 0; p < 5; p++) {
      const item = `i${(u * 2 + p * 3) % 7}`;
      const time = 1_400_000_000 + (p % 2 ? 0.5 : p * 86_400) + (u % 3); // ties (p = 1, 3) and half seconds
      rows.push(`user ${u},${item},${time},${(u + p) % 4 ? ((u + p) % 5) + 0.5 : ''}`);
    }
  rows.push('loner,i0,1400000000,5', 'loner,i1,1400000001,5'); // too short for a split: dropped by a 3-core
  const items = Array.from({ length: 7 }, (_, i) =>
    JSON.stringify({
      item_id: `i${i}`,
      title: i === 3 ? null : `Item  ${i}, "quoted" L'Oreal `, // spaces kept as written
      categories:
        i === 5
          ? []
          : [
              ['Beauty', 'Skin Care'],
              ['Beauty', `Leaf ${i}`],
            ],
      brand: i % 2 ? 'Acme Labs' : null,
      description: i === 1 ? 'Two\tparts\nand a line' : null,
    }),
  );
  return writeDir({ 'interactions.csv': rows.join('\n'), 'items.jsonl': items.join('\n') });
}

test('round trip: prepare (plain) -> export RecBole -> prepare (recbole) gives the same split', async () => {
  const first = await prepared(roundTripData(), { kcore: 3 });
  assert.equal(first.report.filtered.kcore.users, 1);
  const out = join(tempDir(), 'recbole', 'beauty_rt');
  const done = exportRecbole(first.ws, out);
  assert.deepEqual(done, {
    dir: out,
    dataset: 'beauty_rt',
    files: ['beauty_rt.inter', 'beauty_rt.item'],
    users: 9,
    items: 7,
    interactions: 45,
    ratings: true,
    flattenedTexts: 1,
  });
  assert.deepEqual(readdirSync(dirname(out)), ['beauty_rt'], 'no temporary folder left');
  const inter = readFileSync(join(out, 'beauty_rt.inter'), 'utf8').split('\n');
  assert.equal(inter[0], 'user_id:token\titem_id:token\ttimestamp:float\trating:float');
  const item = readFileSync(join(out, 'beauty_rt.item'), 'utf8').split('\n');
  assert.equal(item[0], 'item_id:token\ttitle:token_seq\tcategories:token_seq\tbrand:token\tdescription:token_seq');

  const second = await prepared(out, { kcore: 3 });
  assert.equal(second.report.format, 'recbole');
  const a = first.ds;
  const b = second.ds;
  assert.equal(datasetFingerprint(b), datasetFingerprint(a));
  assert.deepEqual(b.userIds, a.userIds);
  assert.deepEqual(
    b.sequences.map((s) => [...s]),
    a.sequences.map((s) => [...s]),
  );
  assert.deepEqual(
    b.times.map((t) => [...t]),
    a.times.map((t) => [...t]),
  );
  const ratings = (ws: Workspace) =>
    ws.db.prepare('SELECT rating FROM interactions ORDER BY user_idx, pos').pluck().all();
  assert.deepEqual(ratings(second.ws), ratings(first.ws));
  // Texts come back as written, category paths as one list of their distinct names, tabs and line breaks as spaces.
  assert.deepEqual(
    b.items,
    a.items.map((it) => ({
      ...it,
      categories: it.categories.length ? [[...new Set(it.categories.flat())]] : [],
      description: it.description?.replace(/[\t\n]/g, ' ') ?? null,
    })),
  );
  assert.equal(b.items[a.itemIndex.get('i3')!].title, '');
});

test('export writes a new folder, replaces an earlier export with force, and never a folder holding other files', async () => {
  const { ws } = await prepared(roundTripData(), { kcore: 3 });
  const out = join(tempDir(), 'ds');
  mkdirSync(out);
  writeFileSync(join(out, 'ds.inter'), 'an earlier export');
  assert.throws(
    () => exportRecbole(ws, out),
    /^UserError: --out .*ds: exists and is not empty; use --force to replace it$/,
  );
  assert.deepEqual(readdirSync(out), ['ds.inter']);
  exportRecbole(ws, out, true);
  assert.deepEqual(readdirSync(out).sort(), ['ds.inter', 'ds.item']);
  assert.match(readFileSync(join(out, 'ds.inter'), 'utf8'), /^user_id:token\t/);
  assert.ok(!existsSync(`${out}.old-${process.pid}`) && !existsSync(`${out}.tmp-${process.pid}`));
  writeFileSync(join(out, 'notes.txt'), 'mine');
  assert.throws(
    () => exportRecbole(ws, out, true),
    /^UserError: --out .*ds: holds notes\.txt, which this command did not write; not replaced even with --force$/,
  );
  assert.deepEqual(readdirSync(out).sort(), ['ds.inter', 'ds.item', 'notes.txt']);
  const file = join(tempDir(), 'file');
  writeFileSync(file, 'x');
  assert.throws(() => exportRecbole(ws, file, true), /^UserError: --out .*file: exists and is not a folder$/);
});
