// Top-K in the engine against a brute-force reference, with ties and exclusions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/engine/random.js';
import { ItemMatrix, topK } from '../../src/engine/topk.js';
import { UserError } from '../../src/util/errors.js';

/** Scores by dot product; equal scores -> lower index first; excluded items skipped. */
function reference(
  queries: Float32Array,
  items: Float32Array,
  dim: number,
  k: number,
  exclude: number[][],
): number[][] {
  const q = queries.length / dim,
    count = items.length / dim;
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
  const dim = 6,
    count = 200,
    q = 50,
    k = 10;
  // Small integers: exact float32 dot products and many ties.
  const ints = (n: number) => Float32Array.from({ length: n }, () => random.int(3) - 1);
  const items = ints(count * dim);
  const queries = ints(q * dim);
  const exclude = Array.from({ length: q }, () => Array.from({ length: random.int(20) }, () => random.int(count)));
  const result = await topK(queries, items, dim, k, { exclude, metric: 'dot' });
  const expected = reference(queries, items, dim, k, exclude);
  for (let i = 0; i < q; i++)
    assert.deepEqual(Array.from(result.indices.subarray(i * k, (i + 1) * k)), expected[i], `query ${i}`);
});

test('an ItemMatrix held in the engine answers batch after batch like brute force, in both metrics', async () => {
  const random = new Random(12);
  const dim = 5,
    count = 120,
    k = 7;
  const ints = (n: number) => Float32Array.from({ length: n }, () => random.int(5) - 2);
  const items = ints(count * dim);
  const unit = (a: Float32Array) => {
    const out = Float32Array.from(a);
    for (let r = 0; r < out.length / dim; r++) {
      const row = out.subarray(r * dim, (r + 1) * dim);
      const norm = Math.hypot(...row) || 1;
      row.forEach((v, j) => (row[j] = v / norm));
    }
    return out;
  };
  for (const metric of ['dot', 'cosine'] as const) {
    const held = new ItemMatrix(items, dim, { metric });
    assert.equal(held.count, count);
    for (let batch = 0; batch < 4; batch++) {
      const q = 1 + random.int(20);
      const queries = ints(q * dim);
      const exclude = Array.from({ length: q }, () => Array.from({ length: random.int(10) }, () => random.int(count)));
      const result = await held.topK(queries, k, exclude);
      const [qs, is] = metric === 'dot' ? [queries, items] : [unit(queries), unit(items)];
      const expected = reference(qs, is, dim, k, exclude);
      const score = (i: number, j: number) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += qs[i * dim + d] * is[j * dim + d];
        return s;
      };
      for (let i = 0; i < q; i++) {
        const got = Array.from(result.indices.subarray(i * k, (i + 1) * k));
        // Dot products of small integers are exact, so the order is; cosines are rounded, so
        // near-equal items may swap: there the scores of the k chosen must be the k best.
        if (metric === 'dot') assert.deepEqual(got, expected[i], `dot batch ${batch} query ${i}`);
        got.forEach((j, r) =>
          assert.ok(
            Math.abs(score(i, j) - score(i, expected[i][r])) < 1e-5,
            `${metric} batch ${batch} query ${i} rank ${r}`,
          ),
        );
        assert.ok(
          got.every((j) => !exclude[i].includes(j)),
          'no excluded item',
        );
      }
    }
  }
});

test('cosine top-K ranks by normalised rows; rows with fewer than k candidates pad with -1', async () => {
  const items = Float32Array.from([1, 0, 10, 0, 0, 1, 1, 1]); // four items in 2-d
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
