import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { evaluate, longTailItems } from '../../src/eval/evaluate.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { contractDataset } from '../rank/contract.js';

/** Scores are fixed per item index, the same for every user. */
class FixedScores implements Recommender {
  readonly name = 'fixed';
  constructor(private readonly row: number[]) {}
  describe() {
    return { model: 'fixed' };
  }
  async fit(_ds: Dataset) {}
  async score(h: readonly History[]) {
    const out = new Float32Array(h.length * this.row.length);
    h.forEach((_, r) => out.set(this.row, r * this.row.length));
    return out;
  }
}

test('evaluate averages hand-computable per-user metrics, with ties expected', async () => {
  const ds = await contractDataset(); // 12 users, 8 items
  // Item i scores -i: items are ranked in index order, so a target with index t has rank t.
  const rec = new FixedScores([0, -1, -2, -3, -4, -5, -6, -7]);
  const r = await evaluate(rec, ds, { split: 'test', silent: true, batchSize: 5 });
  const targets = ds.userIds.map((_, u) => ds.sequences[u][ds.sequences[u].length - 1]);
  const mean = (f: (t: number) => number) => targets.reduce((s, t) => s + f(t), 0) / targets.length;
  assert.equal(r.users, 12);
  assert.ok(Math.abs(r.metrics['HR@5'] - mean((t) => (t < 5 ? 1 : 0))) < 1e-12);
  assert.ok(Math.abs(r.metrics['NDCG@5'] - mean((t) => (t < 5 ? 1 / Math.log2(t + 2) : 0))) < 1e-12);
  assert.ok(Math.abs(r.metrics.MRR - mean((t) => 1 / (t + 1))) < 1e-12);
  assert.equal(r['coverage@10'], 1); // all 8 items are in every top-10
  // A constant scorer: every target is tied with all 7 others; HR@5 = 5/8 for everyone.
  const flat = await evaluate(new FixedScores(Array(8).fill(1)), ds, { split: 'valid', silent: true });
  assert.ok(Math.abs(flat.metrics['HR@5'] - 5 / 8) < 1e-12);
  assert.equal(flat.metrics['HR@10'], 1);
});

test('exclude-seen masks history items but never the target', async () => {
  const ds = await contractDataset();
  const u = 0;
  const seq = ds.sequences[u];
  const target = seq[seq.length - 1];
  // History items score highest, the target next, everything else below.
  const row = Array.from({ length: 8 }, (_, i) =>
    seq.subarray(0, -1).includes(i) && i !== target ? 10 : i === target ? 5 : 0,
  );
  const plain = await evaluate(new FixedScores(row), ds, { split: 'test', users: [u], silent: true });
  const masked = await evaluate(new FixedScores(row), ds, {
    split: 'test',
    users: [u],
    excludeSeen: true,
    silent: true,
  });
  assert.ok(plain.metrics.MRR < 1);
  assert.equal(masked.metrics.MRR, 1);
});

test('long tail is the least popular 80% of items by training count', async () => {
  const ds = await contractDataset();
  const tail = longTailItems(ds);
  assert.equal(
    tail.reduce((s, v) => s + v, 0),
    Math.floor(0.8 * 8),
  );
});
