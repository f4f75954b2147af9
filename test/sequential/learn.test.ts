// The models learn a sequential pattern, train repeatably from a seed, and save what they learn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCase, loadDataset } from '../../src/data/dataset.js';
import { LOSSES, SEQUENTIAL_MODELS } from '../../src/sequential/config.js';
import { SequentialNet } from '../../src/sequential/net.js';
import { sequenceWorkspace, tinyConfig, trainedSequential } from './support.js';

const POOL = 8;

const variants = [
  ...SEQUENTIAL_MODELS.flatMap((model) => LOSSES.map((loss) => ({ model, loss, precision: 'float32' }))),
  { model: 'sasrec', loss: 'ce', precision: 'bfloat16' },
] as const;

for (const { model, loss, precision } of variants) {
  test(`${model} (${loss}, ${precision}) learns that item i is followed by item i+1`, async () => {
    const ws = await sequenceWorkspace(40, POOL, 10);
    const ds = loadDataset(ws);
    const rec = await trainedSequential(
      ws,
      ds,
      `${model}-${loss}`,
      tinyConfig(model, { loss, precision, epochs: 40, patience: 40 }),
    );
    // Every user's validation and test history (the test one longer than maxLength) ends in
    // some item i; the model must rank i+1 first.
    for (const split of ['valid', 'test'] as const) {
      const cases = ds.userIds.map((_, u) => evalCase(ds, u, split));
      const scores = await rec.score(cases.map((c) => ({ items: c.history, times: c.historyTimes })));
      cases.forEach((c, r) => {
        const row = scores.subarray(r * POOL, (r + 1) * POOL);
        assert.equal(row.indexOf(Math.max(...row)), c.target, `${split}: user ${c.user}`);
      });
    }
  });
}

test('the same seed trains the same model; another seed another one; the saved model reloads exactly', async () => {
  const ws = await sequenceWorkspace(20, POOL, 8);
  const ds = loadDataset(ws);
  const histories = ds.sequences.map((s) => ({
    items: s.subarray(0, s.length - 1),
    times: new Float64Array(s.length - 1),
  }));
  const scores = async (name: string, seed: number) => {
    const rec = await trainedSequential(ws, ds, name, tinyConfig('sasrec', { seed, epochs: 3, dropout: 0.5 }));
    return rec.score(histories);
  };
  const a = await scores('a', 1);
  assert.deepEqual(await scores('b', 1), a);
  assert.notDeepEqual(await scores('c', 2), a);
  const reloaded = SequentialNet.load(ws.path('models', 'a'));
  assert.deepEqual(await reloaded.score(histories.map((h) => h.items)), a);
});
