import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItemKnnRecommender } from '../../src/baselines/itemknn.js';
import { PopRecommender } from '../../src/baselines/pop.js';
import { trainCounts } from '../../src/data/dataset.js';
import { contractDataset, recommenderContract } from '../rank/contract.js';

recommenderContract('pop', () => new PopRecommender());
recommenderContract('itemknn', () => new ItemKnnRecommender());

test('pop ranks items by training count', async () => {
  const ds = await contractDataset();
  const rec = new PopRecommender();
  await rec.fit(ds);
  const scores = await rec.score([{ items: new Int32Array(0), times: new Float64Array(0) }]);
  assert.deepEqual([...scores], [...trainCounts(ds)]);
});

test('itemknn learns that item i is followed by item i+1', async () => {
  const ds = await contractDataset(); // every sequence walks i0 -> i1 -> ... (mod 8)
  const rec = new ItemKnnRecommender();
  await rec.fit(ds);
  for (let i = 0; i < 8; i++) {
    const last = ds.itemIndex.get(`i${i}`)!;
    const next = ds.itemIndex.get(`i${(i + 1) % 8}`)!;
    const row = await rec.score([{ items: Int32Array.of(last), times: Float64Array.of(0) }]);
    const best = row.indexOf(Math.max(...row));
    assert.equal(best, next, `after i${i}`);
  }
});
