import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';
import { sequentialDataset, tempDir } from '../support/fixtures.js';

test('prepare, evaluate --json (DESIGN.md schema) and report, through the CLI', () => {
  const work = tempDir();
  const prep = runCli(['prepare', '--data', sequentialDataset(), '--work', work, '--kcore', '3']);
  assert.equal(prep.status, 0, prep.stderr);
  assert.match(prep.stdout, /kept\s+72 interactions, 12 users, 8 items/);
  const again = runCli(['prepare', '--data', sequentialDataset(), '--work', work]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already holds a prepared dataset/);

  const r = runCli(['evaluate', '--work', work, '--recommender', 'itemknn', '--split', 'valid', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.recommender, 'itemknn');
  assert.equal(out.split, 'valid');
  assert.equal(out.users, 12);
  assert.equal(out.items, 8);
  assert.deepEqual(
    Object.keys(out.metrics).sort(),
    ['HR@10', 'HR@20', 'HR@5', 'MRR', 'NDCG@10', 'NDCG@20', 'NDCG@5'].sort(),
  );
  assert.deepEqual(Object.keys(out.longtail).sort(), ['HR@10', 'NDCG@10', 'users']);
  assert.equal(typeof out.seconds, 'number');
  // The successor pattern is learnable: item kNN must find every validation target first.
  assert.equal(out.metrics['HR@5'], 1);

  const unknown = runCli(['evaluate', '--work', work, '--recommender', 'nope']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--recommender nope: unknown; expected one of pop, itemknn/);

  const rep = runCli(['report', '--work', work]);
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(rep.stdout.trim(), 'utf8');
  assert.match(html, /<td>itemknn<\/td>/);
  assert.match(html, /<svg/);
});
