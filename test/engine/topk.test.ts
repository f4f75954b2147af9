// Top-K in the engine against a brute-force reference, with ties and exclusions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/engine/random.js';
import { topK } from '../../src/engine/topk.js';
import { UserError } from '../../src/util/errors.js';

/** Scores by dot product; equal scores -> lower index first; excluded items skipped. */
function reference(queries: Float32Array, items: Float32Array, dim: number, k: number, exclude: number[][]): number[][] {
  const q = queries.length / dim, count = items.length / dim;
  return Array.from({ length: q }, (_, i) => {
    const scored: Array<[number, number]> = [];
    for (let j = 0; j < count; j++) {
      if (exclude[i].includes(j)) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[i * dim + d] * items[j * dim + d];
      scored.push([Math.fround(s), j]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    return scored.slice(0, k).map(([, j]) => j);
  });
}

test('top-K agrees with brute force, including ties and exclusions', async () => {
  const random = new Random(11);
  const dim = 6, count = 200, q = 50, k = 10;
  // Small integers: exact float32 dot products and many ties.
  const ints = (n: number) => Float32Array.from({ length: n }, () => random.int(3) - 1);
  const items = ints(count * dim);
  const queries = ints(q * dim);
  const exclude = Array.from({ length: q }, () => Array.from({ length: random.int(20) }, () => random.int(count)));
  const result = await topK(queries, items, dim, k, { exclude, metric: 'dot' });
  const expected = reference(queries, items, dim, k, exclude);
  for (let i = 0; i < q; i++) assert.deepEqual(Array.from(result.indices.subarray(i * k, (i + 1) * k)), expected[i], `query ${i}`);
});

test('cosine top-K ranks by normalised rows; rows with fewer than k candidates pad with -1', async () => {
  const items = Float32Array.from([1, 0, 10, 0, 0, 1, 1, 1]);  // four items in 2-d
  const result = await topK(Float32Array.from([2, 0, 0, 1]), items, 2, 3, { exclude: [[0], [1, 2, 3]] });
  // Query 0: item 1 (cos 1) then item 3 (cos 0.707) then item 2 (cos 0); item 0 excluded.
  assert.deepEqual(Array.from(result.indices.subarray(0, 3)), [1, 3, 2]);
  assert.deepEqual(Array.from(result.indices.subarray(3, 6)), [0, -1, -1]);
  assert.equal(result.scores[4], -Infinity);
  assert.ok(Math.abs(result.scores[0] - 1) < 1e-6);
});

test('top-K rejects malformed input with UserErrors', async () => {
  const items = new Float32Array(8);
  await assert.rejects(topK(new Float32Array(3), items, 2, 1), UserError);
  await assert.rejects(topK(new Float32Array(2), items, 2, 0), UserError);
  await assert.rejects(topK(new Float32Array(2), items, 2, 1, { exclude: [[7]] }), UserError);
  const empty = await topK(new Float32Array(0), items, 2, 2);
  assert.equal(empty.indices.length, 0);
});
