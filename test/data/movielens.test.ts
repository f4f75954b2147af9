import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/dataset.js';
import { prepare, type PrepareOptions } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { tempDir, writeDir } from '../support/fixtures.js';

async function prepared(data: string, extra: Partial<PrepareOptions> = {}) {
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, format: 'auto', kcore: 1, missingMeta: 'error', ...extra });
  return { ws, report, ds: loadDataset(ws) };
}

const RATINGS_DAT = ['1::1193::5::978300760', '1::661::3::978302109', '2::1193::4::978298413', '1::914::3::978300760'];

test('ml-1m: `::` files without a header, a Latin-1 movies.dat, genres as categories, ratings kept', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'ratings.dat'), `${RATINGS_DAT.join('\n')}\n2::661::2::978298414\n2::914::1::978298415\n`);
  // The release is Latin-1: "Misérables" has the byte 0xE9. A line converted to UTF-8 is read as UTF-8.
  writeFileSync(
    join(dir, 'movies.dat.gz'),
    gzipSync(
      Buffer.concat([
        Buffer.from("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"),
        Buffer.from('661::Mis'),
        Buffer.from([0xe9]),
        Buffer.from('rables, Les (1995)::Drama|Musical\n'),
        Buffer.from('914::Café Society (1995)::Comedy|Romance\n'),
        Buffer.from('5::Never Rated (2000)::Drama\n'),
      ]),
    ),
  );
  writeFileSync(join(dir, 'users.dat'), '1::F::1::10::48067\n');
  const { ds, report, ws } = await prepared(dir);
  assert.equal(report.format, 'movielens');
  assert.deepEqual(report.read, { interactions: 6, users: 2, items: 3, metadataRecords: 4 });
  assert.deepEqual(report.notes, [
    'movies.dat.gz: 1 line is not UTF-8 and was read as Latin-1 (ISO-8859-1), the encoding of the MovieLens release',
  ]);
  assert.deepEqual(ds.items, [
    {
      id: '1193',
      title: "One Flew Over the Cuckoo's Nest (1975)",
      categories: [['Drama']],
      brand: null,
      description: null,
    },
    { id: '661', title: 'Misérables, Les (1995)', categories: [['Drama', 'Musical']], brand: null, description: null },
    { id: '914', title: 'Café Society (1995)', categories: [['Comedy', 'Romance']], brand: null, description: null },
  ]);
  assert.deepEqual(ds.userIds, ['1', '2']);
  const ids = (u: number) => [...ds.sequences[u]].map((i) => ds.items[i].id);
  // User 1: 1193 and 914 share a second; the file order keeps 1193 first.
  assert.deepEqual(ids(0), ['1193', '914', '661']);
  assert.deepEqual([...ds.times[0]], [978300760, 978300760, 978302109]);
  assert.deepEqual(ids(1), ['1193', '661', '914']);
  const ratings = ws.db.prepare('SELECT rating FROM interactions WHERE user_idx = 0 ORDER BY pos').pluck().all();
  assert.deepEqual(ratings, [5, 3, 3]);
});

test('ml-latest: CSV with a header, quoted titles holding commas, "(no genres listed)"', async () => {
  const data = writeDir({
    'ratings.csv': [
      'userId,movieId,rating,timestamp',
      '1,11,4.0,964982703',
      '1,208,3.5,964982931',
      '1,9999,0.5,964983000',
    ].join('\n'),
    'movies.csv': [
      'movieId,title,genres',
      '11,"American President, The (1995)",Comedy|Drama|Romance',
      '208,Waterworld (1995),Action|Adventure|Sci-Fi',
      '9999,"Film ""Quoted"" (2018)",(no genres listed)',
    ].join('\r\n'),
    'tags.csv': 'userId,movieId,tag,timestamp\n',
  });
  const { ds, report, ws } = await prepared(data);
  assert.equal(report.format, 'movielens');
  assert.deepEqual(report.notes, []);
  assert.deepEqual(ds.items, [
    {
      id: '11',
      title: 'American President, The (1995)',
      categories: [['Comedy', 'Drama', 'Romance']],
      brand: null,
      description: null,
    },
    {
      id: '208',
      title: 'Waterworld (1995)',
      categories: [['Action', 'Adventure', 'Sci-Fi']],
      brand: null,
      description: null,
    },
    { id: '9999', title: 'Film "Quoted" (2018)', categories: [], brand: null, description: null },
  ]);
  assert.deepEqual([...ds.times[0]], [964982703, 964982931, 964983000]);
  assert.deepEqual(ws.db.prepare('SELECT rating FROM interactions ORDER BY pos').pluck().all(), [4, 3.5, 0.5]);
});

const GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];
const flags = (...names: string[]) => GENRES.map((g) => (names.includes(g) ? '1' : '0')).join('|');

test('ml-100k: tab-separated u.data, u.item with genre flags named by u.genre, Latin-1 titles', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'u.data'), '196\t242\t3\t881250949\n196\t1\t4\t881250950\n196\t267\t2\t881250951\n');
  writeFileSync(join(dir, 'u.genre'), `${GENRES.map((g, i) => `${g}|${i}`).join('\n')}\n\n`);
  writeFileSync(
    join(dir, 'u.item'),
    Buffer.concat([
      Buffer.from(
        `1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|${flags('Animation', "Children's", 'Comedy')}\n`,
      ),
      Buffer.from('242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|'),
      Buffer.from(`${flags('Comedy')}\n`),
      Buffer.from('267|unknown||||'),
      Buffer.from(`${flags('unknown')}\n`),
      Buffer.from('1300|'),
      Buffer.from([0x54, 0xe9, 0x6c, 0xe9]), // "Télé" in Latin-1
      Buffer.from(` (1998)|01-Jan-1998||x|${flags('Drama')}\n`),
    ]),
  );
  const { ds, report } = await prepared(dir);
  assert.equal(report.format, 'movielens');
  assert.deepEqual(ds.items, [
    {
      id: '1',
      title: 'Toy Story (1995)',
      categories: [['Animation', "Children's", 'Comedy']],
      brand: null,
      description: null,
    },
    { id: '242', title: 'Kolya (1996)', categories: [['Comedy']], brand: null, description: null },
    { id: '267', title: 'unknown', categories: [], brand: null, description: null },
  ]);
  assert.deepEqual(report.read, { interactions: 3, users: 1, items: 3, metadataRecords: 4 });
  assert.deepEqual(report.notes, [
    'u.item: 1 line is not UTF-8 and was read as Latin-1 (ISO-8859-1), the encoding of the MovieLens release',
  ]);
  assert.deepEqual(
    [...ds.sequences[0]].map((i) => ds.items[i].id),
    ['242', '1', '267'],
  );
  await assert.rejects(
    prepared(writeDir({ 'u.data': '196\t242\t3\t881250949\n', 'u.item': '242|Kolya (1996)\n' })),
    /^UserError: --data .*: u\.item but no u\.genre \(it names u\.item's genre columns\)$/,
  );
});

test('MovieLens refusals: a malformed `::` line, a missing column, milliseconds, a missing movies file', async () => {
  const movies = '1193::Nest (1975)::Drama\n661::Les (1995)::Drama\n';
  await assert.rejects(
    prepared(writeDir({ 'ratings.dat': '1::1193::5::978300760\n1::661::978302109\n', 'movies.dat': movies })),
    /^UserError: ratings\.dat line 2: 3 fields separated by "::", expected 4 \(UserID::MovieID::Rating::Timestamp\)$/,
  );
  await assert.rejects(
    prepared(writeDir({ 'ratings.dat': RATINGS_DAT.join('\n'), 'movies.dat': '1193::Nest (1975)\n' })),
    /^UserError: movies\.dat line 1: 2 fields separated by "::", expected 3 \(MovieID::Title::Genres\)$/,
  );
  await assert.rejects(
    prepared(
      writeDir({ 'ratings.csv': 'userId,movieId,timestamp\n1,11,964982703\n', 'movies.csv': 'movieId,title,genres\n' }),
    ),
    /^UserError: ratings\.csv line 1: missing column "rating" \(header is "userId,movieId,timestamp"; expected userId,movieId,rating,timestamp\)$/,
  );
  await assert.rejects(
    prepared(writeDir({ 'ratings.dat': '1::1193::5::978300760000\n', 'movies.dat': movies })),
    /^UserError: ratings\.dat line 1: field "Timestamp" is 978300760000: as Unix seconds that is after the year 5138, so these look like milliseconds; use --timestamp-unit ms$/,
  );
  await assert.rejects(
    prepared(writeDir({ 'ratings.dat': RATINGS_DAT.join('\n') })),
    /^UserError: --data .*: ratings\.dat but no movies\.dat \(MovieLens needs both\)$/,
  );
});
