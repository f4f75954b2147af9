import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../support/cli.js';
import { plainDataset, tempDir, writeDir } from '../support/fixtures.js';

const items = '{"item_id": "x1", "title": "One"}\n{"item_id": "x2", "title": "Two"}\n';

/** Runs prepare and expects exit 2 with exactly one stderr line matching `pattern`. */
function expectOneLineError(data: string, pattern: RegExp, extra: string[] = []) {
  const r = runCli(['prepare', '--data', data, '--work', tempDir(), ...extra]);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('reading '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
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
    writeDir({ 'interactions.csv': 'user_id,item_id,timestamp\na,x1,1\n', 'items.jsonl': '{"item_id": "x1"}\n' }),
    /items\.jsonl line 1: field "title" is missing/,
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
