import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedHit, expectedNdcg, expectedRR, harmonicTable } from '../../src/eval/metrics.js';
import { rankRow } from '../../src/eval/evaluate.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('untied target: HR, NDCG and RR at known positions', () => {
  // Rank 0 (first): NDCG 1/log2(2) = 1.
  close(expectedHit(0, 0, 5), 1);
  close(expectedNdcg(0, 0, 5), 1);
  close(expectedRR(0, 0), 1);
  // Rank 2 (third place): 1/log2(4) = 0.5, RR 1/3.
  close(expectedNdcg(2, 0, 5), 0.5);
  close(expectedRR(2, 0), 1 / 3);
  // Rank 4 is inside @5, rank 5 is not.
  close(expectedHit(4, 0, 5), 1);
  close(expectedHit(5, 0, 5), 0);
  close(expectedNdcg(5, 0, 5), 0);
  close(expectedNdcg(6, 0, 10), 1 / Math.log2(8));
});

test('ties count as the expectation over a random order', () => {
  // 3 items above, target tied with 3 others: ranks 3..6 equally likely.
  close(expectedHit(3, 3, 5), 2 / 4);
  close(expectedNdcg(3, 3, 5), (1 / Math.log2(5) + 1 / Math.log2(6)) / 4);
  close(expectedRR(3, 3), (1 / 4 + 1 / 5 + 1 / 6 + 1 / 7) / 4);
  // All items tied (a constant scorer) among 100: HR@10 = 10/100.
  close(expectedHit(0, 99, 10), 0.1);
  // The harmonic shortcut gives the same RR.
  close(expectedRR(7, 40, harmonicTable(100)), expectedRR(7, 40));
});

test('rankRow counts items above and tied with the target, and keeps a stable top-k', () => {
  const row = Float32Array.from([0.5, 0.9, 0.5, 0.1, 0.9, 0.5, -Infinity]);
  const top = new Int32Array(4);
  const { greater, equal } = rankRow(row, 2, top);
  assert.equal(greater, 2);
  assert.equal(equal, 2);
  // Score descending, lower index first among equals; -Infinity never enters.
  assert.deepEqual([...top], [1, 4, 0, 2]);
  const short = new Int32Array(3);
  rankRow(Float32Array.from([-Infinity, 2, -Infinity]), 1, short);
  assert.deepEqual([...short], [1, -1, -1]);
});

test('rankRow rejects a NaN target score', () => {
  assert.throws(() => rankRow(Float32Array.from([NaN, 1]), 0, new Int32Array(2)), /NaN/);
});
