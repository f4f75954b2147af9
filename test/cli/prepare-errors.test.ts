import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Workspace } from '../../src/data/workspace.js';
import { assertRefused, CLI, runCli } from '../support/cli.js';
import { plainDataset, saveZeroEvaluation, tempDir, writeDir } from '../support/fixtures.js';

const items = '{"item_id": "x1", "title": "One"}\n{"item_id": "x2", "title": "Two"}\n';

/** Runs prepare and expects exit 2 with exactly one stderr line matching `pattern`. */
function expectOneLineError(data: string, pattern: RegExp, extra: string[] = []) {
  assertRefused(runCli(['prepare', '--data', data, '--work', tempDir(), ...extra]), pattern);
}

/** Three users on two items, nine interactions: prepared with --kcore 1, refused by anything higher than 3. */
function smallDataset(): string {
  return plainDataset(
    Array.from({ length: 9 }, (_, i) => [`u${i % 3}`, `x${(i % 2) + 1}`, i] as [string, string, number]),
    [
      { id: 'x1', title: 'One' },
      { id: 'x2', title: 'Two' },
    ],
  );
}

test('a missing column names the file, line 1 and the column', () => {
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id\na,x1\n', 'items.jsonl': items }),
    /interactions\.csv line 1: missing column "timestamp"/,
  );
});

test('a non-numeric timestamp names file, line and field', () => {
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\na,x2,yesterday\n', 'items.jsonl': items }),
    /interactions\.csv line 3: field "timestamp" is "yesterday"/,
  );
});

test('an item without metadata names the interaction line and the item', () => {
  expectOneLineError(
    plainDataset(
      [
        ['a', 'x1', 1],
        ['a', 'x9', 2],
      ],
      [{ id: 'x1', title: 'One' }],
    ),
    /interactions\.csv line 3: item "x9" has no metadata in items\.jsonl/,
  );
});

test('an empty file is reported, not treated as no data', () => {
  expectOneLineError(writeDir({ 'interactions.csv': '', 'items.jsonl': items }), /interactions\.csv: file is empty/);
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n', 'items.jsonl': '' }),
    /items\.jsonl: file is empty/,
  );
});

test('a bad metadata line names the field', () => {
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n', 'items.jsonl': '{"title": "One"}\n' }),
    /items\.jsonl line 1: field "item_id": missing, expected a non-empty string or a number/,
  );
  expectOneLineError(
    writeDir({
      'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n',
      'items.jsonl': '{"item_id": "x1", "title": 5}\n',
    }),
    /items\.jsonl line 1: field "title": .*expected string, received number/,
  );
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n', 'items.jsonl': '{"item_id": "x1", \n' }),
    /items\.jsonl line 1: not valid JSON/,
  );
});

test('a truncated gzip names the file and where it ends', () => {
  const dir = tempDir();
  const lines = Array.from({ length: 2000 }, (_, i) =>
    JSON.stringify({ reviewerID: `u${i % 50}`, asin: `A${i % 40}`, unixReviewTime: i, overall: 5 }),
  ).join('\n');
  const gz = gzipSync(lines);
  writeFileSync(join(dir, 'reviews_X.json.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  writeFileSync(join(dir, 'meta_X.json.gz'), gzipSync(`{'asin': 'A1', 'title': 'One'}`));
  expectOneLineError(dir, /reviews_X\.json\.gz line \d+: gzip stream ends early/);
});

test('bad flags and workspaces give one line', () => {
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\n', 'items.jsonl': items }),
    /--kcore 0: expected a whole number >= 1/,
    ['--kcore', '0'],
  );
  expectOneLineError(tempDir(), /no known dataset files/);
  const r = runCli(['evaluate', '--work', tempDir(), '--recommender', 'pop']);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^r2end: --work .*: no workspace there/);
});

/** Runs prepare into a new workspace path; expects one error line and the path not to exist after. */
function expectNothingLeft(data: string, pattern: RegExp, extra: string[] = []) {
  const work = join(tempDir(), 'w');
  const r = runCli(['prepare', '--data', data, '--work', work, ...extra]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, pattern);
  assert.ok(!existsSync(work), 'a failed prepare leaves no workspace behind');
}

test('a result with no user left is refused, naming the filter that removed them, and leaves nothing behind', () => {
  expectNothingLeft(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\n', 'items.jsonl': items }),
    /^r2end: interactions\.csv: no interactions, only a header line$/,
  );
  const rows = Array.from({ length: 4 }, (_, i) => [`u${i}`, 'x1', i] as [string, string, number]);
  expectNothingLeft(
    plainDataset(
      [...rows, ['u0', 'x2', 9]],
      [
        { id: 'x1', title: 'One' },
        { id: 'x2', title: 'Two' },
      ],
    ),
    /^r2end: --kcore 1000000 removed every user \(the densest item has 4 interactions, the most active user 2\)$/,
    ['--kcore', '1000000'],
  );
  expectNothingLeft(
    plainDataset(rows, [{ id: 'x2', title: 'Two' }]),
    /^r2end: --missing-meta drop removed every interaction: no item of interactions\.csv has a record in items\.jsonl$/,
    ['--missing-meta', 'drop'],
  );
  expectNothingLeft(
    plainDataset(rows, [{ id: 'x1', title: 'One' }]),
    /^r2end: no user has the 3 interactions a leave-one-out split needs .* after the 1-core$/,
    ['--kcore', '1'],
  );
  // A folder that existed keeps existing, without the database the failed prepare made in it.
  const existing = tempDir();
  const r = runCli(['prepare', '--data', plainDataset(rows, [{ id: 'x1', title: 'One' }]), '--work', existing]);
  assert.equal(r.status, 2);
  assert.deepEqual(readdirSync(existing), []);
});

test('a failed prepare --force keeps the dataset prepared before', () => {
  const work = tempDir();
  const data = smallDataset();
  assert.equal(runCli(['prepare', '--data', data, '--work', work, '--kcore', '1']).status, 0);
  assert.equal(runCli(['prepare', '--data', data, '--work', work, '--kcore', '99', '--force']).status, 2);
  const ev = runCli(['evaluate', '--work', work, '--recommender', 'pop', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).users, 3);
});

test('every command after prepare refuses an unprepared or empty workspace in one line', () => {
  const unprepared = tempDir();
  Workspace.open(unprepared, { create: true }).close();
  const empty = tempDir();
  const ws = Workspace.open(empty, { create: true });
  ws.setMeta('dataset', { name: 'old', source: '', format: 'plain', kcore: 5, users: 0, items: 0, interactions: 0 });
  ws.close();
  for (const [work, pattern] of [
    [unprepared, /: no prepared dataset \(an earlier prepare did not finish\); run `r2end prepare/],
    [empty, /: the prepared dataset old has no users; prepare it again with --force and a smaller --kcore$/],
  ] as const) {
    for (const args of [
      ['teach', '--backend', 'template'],
      ['train'],
      ['evaluate', '--recommender', 'pop'],
      ['hybrid', '--parts', 'pop,itemknn'],
      ['recommend', '--user', 'u1'],
      ['report'],
      ['serve', '--port', '0'],
    ]) {
      const r = runCli([...args, '--work', work]);
      assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trim(), pattern, args[0]);
    }
  }
});

test('unusable --work paths are one line each, and prepare never loops', () => {
  const file = join(tempDir(), 'file');
  writeFileSync(file, 'x');
  const data = writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n', 'items.jsonl': items });
  for (const [work, pattern] of [
    [file, /^r2end: --work .*file: not a folder$/],
    ['/dev/null/x', /^r2end: --work \/dev\/null\/x: \/dev\/null is not a folder$/],
    ['/proc/x', /^r2end: --work \/proc\/x: cannot create \/proc\/x \(ENOENT\)$/],
    ['', /^r2end: --work: empty, expected a workspace folder$/],
  ] as const) {
    const r = spawnSync(process.execPath, [CLI, 'prepare', '--data', data, '--work', work], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, `${work}: ${r.stderr}`);
    assert.match(r.stderr.trim(), pattern);
  }
  const db = join(tempDir(), Workspace.DB_FILE);
  writeFileSync(db, 'not a database at all, but long enough to be read as one '.repeat(20));
  const r = runCli(['evaluate', '--work', join(db, '..'), '--recommender', 'pop']);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr.trim(),
    /^r2end: --work .*r2end\.sqlite is not a usable workspace database \(file is not a database\)$/,
  );
});

test('report refuses a stored evaluation of 0 users (NaN metrics, kept as null) instead of crashing', () => {
  const work = tempDir();
  const data = smallDataset();
  assert.equal(runCli(['prepare', '--data', data, '--work', work, '--kcore', '1']).status, 0);
  saveZeroEvaluation(work);
  const r = runCli(['report', '--work', work]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr.trim(),
    /^r2end: the stored evaluation of pop \(test split\) has 0 users; evaluate it again: r2end evaluate --work .* --recommender pop --split test$/,
  );
});

test('timestamps: only decimal Unix seconds before the year 5138; milliseconds with --timestamp-unit ms', () => {
  const csv = (ts: string) =>
    writeDir({ 'interactions.csv': `user_id,item_id,timestamp\na,x1,${ts}\n`, 'items.jsonl': items });
  expectOneLineError(
    csv('1300000000000'),
    /interactions\.csv line 2: field "timestamp" is 1300000000000: .* look like milliseconds; use --timestamp-unit ms$/,
  );
  expectOneLineError(
    csv('0x10'),
    /interactions\.csv line 2: field "timestamp" is "0x10", expected Unix seconds as a decimal/,
  );
  expectOneLineError(
    csv('1e300'),
    /interactions\.csv line 2: field "timestamp" is "1e300", expected Unix seconds as a decimal/,
  );
  expectOneLineError(
    csv('-1'),
    /field "timestamp" is -1, expected Unix seconds from 0 \(1970\) to before the year 5138/,
  );
  expectOneLineError(
    csv('1300000000000000'),
    /field "timestamp" is 1300000000000000, expected Unix milliseconds from 0/,
    ['--timestamp-unit', 'ms'],
  );
});

test('a header naming a column twice is refused at line 1, and a plain folder without interactions.csv says so', () => {
  expectOneLineError(
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp,item_id\na,x1,1,x2\n', 'items.jsonl': items }),
    /^r2end: interactions\.csv line 1: column "item_id" appears twice/,
  );
  expectOneLineError(
    writeDir({ 'items.jsonl.gz': items }),
    /^r2end: --data .*: items\.jsonl but no interactions\.csv \(the plain format needs both\)$/,
  );
});

test('serve, recommend, train and hybrid check model names the same way', () => {
  const work = tempDir();
  for (const args of [
    ['serve', '--model', '../../x'],
    ['recommend', '--user', 'u', '--model', '../../x'],
    ['train', '--name', '..'],
    ['train', '--from', '../x'],
    ['hybrid', '--parts', 'pop,itemknn', '--name', 'a/b'],
  ]) {
    const r = runCli([...args, '--work', work]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^r2end: --(model|name|from) \S+: use letters, digits, '\.', '_' and '-' only/);
  }
});
