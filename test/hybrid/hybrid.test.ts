import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItemKnnRecommender } from '../../src/baselines/itemknn.js';
import { PopRecommender } from '../../src/baselines/pop.js';
import { loadDataset, trainCounts } from '../../src/data/dataset.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { chooseWeights, defaultStep, HybridRecommender, weightGrid } from '../../src/hybrid/hybrid.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { RepeatRecommender } from '../../src/baselines/repeat.js';
import { runCli } from '../support/cli.js';
import { sharedWorkspace } from '../support/fixtures.js';
import { contractDataset, contractWorkspace, recommenderContract } from '../rank/contract.js';

recommenderContract(
  'hybrid (itemknn + pop)',
  () => new HybridRecommender('hybrid', [new ItemKnnRecommender(), new PopRecommender()], [0.7, 0.3]),
  { tolerance: 1e-5 },
);

test('the weight grid covers the simplex with the given step', () => {
  assert.deepEqual(weightGrid(2, 0.25), [
    [1, 0],
    [0.75, 0.25],
    [0.5, 0.5],
    [0.25, 0.75],
    [0, 1],
  ]);
  const three = weightGrid(3, 0.5);
  assert.equal(three.length, 6);
  for (const w of three)
    assert.equal(
      w.reduce((a, b) => a + b, 0),
      1,
    );
});

test('the default step is 0.05 up to four parts (1,771 weight vectors for four), 0.1 beyond', () => {
  assert.deepEqual([2, 3, 4, 5].map(defaultStep), [0.05, 0.05, 0.05, 0.1]);
  assert.equal(weightGrid(4, defaultStep(4)).length, 1771);
  assert.equal(weightGrid(5, defaultStep(5)).length, 1001);
});

test('validation metrics of a part alone agree with the evaluator, and the best weights are kept', async () => {
  const ds = await contractDataset();
  const parts = [new ItemKnnRecommender(), new PopRecommender()];
  for (const p of parts) await p.fit(ds);
  const chosen = await chooseWeights(parts, ds, { step: 0.25, silent: true });
  assert.deepEqual(chosen.parts, ['itemknn', 'pop']);
  assert.equal(chosen.step, 0.25, 'the spec records the grid it was chosen on');
  for (const [i, part] of parts.entries()) {
    // Every item of the fixture has training interactions, so z-scoring keeps each part's order.
    const alone = chosen.validation.find((v) => v.weights[i] === 1)!;
    const direct = await evaluate(part, ds, { split: 'valid', silent: true });
    assert.ok(
      Math.abs(alone['NDCG@10'] - direct.metrics['NDCG@10']) < 1e-9,
      `${part.name}: ${alone['NDCG@10']} vs ${direct.metrics['NDCG@10']}`,
    );
    assert.ok(Math.abs(alone['HR@10'] - direct.metrics['HR@10']) < 1e-9);
  }
  const best = Math.max(...chosen.validation.map((v) => v['NDCG@10']));
  assert.equal(chosen.validation.find((v) => v.weights === chosen.weights)!['NDCG@10'], best);
});

test('every weight vector tried scores on validation exactly what the evaluator gives that hybrid', async () => {
  // beauty_mini (1,267 items): most targets have ten items above them, so the search settles
  // weight vectors early and counts only the items that can reach the target; the evaluator
  // scores every item of every user. Three parts, one of them with many exact ties (pop).
  const ws = await sharedWorkspace('beauty_mini');
  const ds = loadDataset(ws);
  ws.close();
  const parts = [new ItemKnnRecommender(), new PopRecommender(), new RepeatRecommender({ decay: 0.8, satiation: 0 })];
  for (const p of parts) await p.fit(ds);
  const chosen = await chooseWeights(parts, ds, { step: 0.25, silent: true });
  assert.equal(chosen.validation.length, 15);
  for (const v of chosen.validation) {
    const hybrid = new HybridRecommender('h', parts, v.weights);
    await hybrid.fit(ds);
    const direct = await evaluate(hybrid, ds, { split: 'valid', silent: true });
    assert.ok(
      Math.abs(v['NDCG@10'] - direct.metrics['NDCG@10']) < 1e-12 &&
        Math.abs(v['HR@10'] - direct.metrics['HR@10']) < 1e-12,
      `weights ${v.weights}: NDCG@10 ${v['NDCG@10']} vs ${direct.metrics['NDCG@10']}, HR@10 ${v['HR@10']} vs ${direct.metrics['HR@10']}`,
    );
  }
});

/** A text-like part that prefers one item, and an ID part that cannot know items without training data. */
function fixedPart(name: string, prefer: number, text: boolean): Recommender {
  return {
    name,
    scoresUnseenItems: text,
    describe: () => ({ model: name }),
    fit: async () => {},
    score: async (hs: readonly History[]) => {
      const items = 9;
      const out = new Float32Array(hs.length * items);
      for (let r = 0; r < hs.length; r++) for (let j = 0; j < items; j++) out[r * items + j] = j === prefer ? 100 : j;
      return out;
    },
  };
}

test('items without training interactions are ranked by the text part alone', async () => {
  const base = await contractDataset();
  // A ninth item nobody bought: cold.
  const ds = { ...base, items: [...base.items, { ...base.items[0], id: 'cold', title: 'Cold item' }] };
  assert.equal(trainCounts(ds)[8], 0);
  const hybrid = new HybridRecommender('h', [fixedPart('text', 8, true), fixedPart('ids', 8, false)], [0.5, 0.5]);
  await hybrid.fit(ds);
  const row = await hybrid.score([{ items: Int32Array.of(0), times: Float64Array.of(0) }]);
  // The ID part's huge score for the cold item is ignored (z = 0), the text part's is kept.
  const idOnly = new HybridRecommender('h2', [fixedPart('text', 0, true), fixedPart('ids', 8, false)], [0.5, 0.5]);
  await idOnly.fit(ds);
  const row2 = await idOnly.score([{ items: Int32Array.of(0), times: Float64Array.of(0) }]);
  assert.equal(row.indexOf(Math.max(...row)), 8, 'the text part alone still puts the cold item first');
  assert.notEqual(row2.indexOf(Math.max(...row2)), 8, 'an ID part alone cannot push a cold item up');
  assert.ok(hybrid.scoresUnseenItems && idOnly.scoresUnseenItems);
});

test('r2end hybrid trains, is listed, evaluates, and rejects bad flags in one line', async () => {
  const ws = await contractWorkspace();
  const made = runCli(['hybrid', '--work', ws.dir, '--parts', 'itemknn,pop', '--step', '0.5']);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /weights itemknn [\d.]+, pop [\d.]+; validation NDCG@10/);
  const evaluated = runCli(['evaluate', '--work', ws.dir, '--recommender', 'hybrid', '--json']);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const result = JSON.parse(evaluated.stdout);
  assert.equal(result.users, loadDataset(ws).userIds.length);
  assert.equal(typeof result.about['itemknn weight'], 'number');
  for (const [args, message] of [
    [['--parts', 'itemknn'], /--parts itemknn: expected two or more different recommenders/],
    [['--parts', 'itemknn,nope'], /--parts: nope: unknown/],
    [['--parts', 'itemknn,pop', '--step', '0.3'], /--step 0\.3: expected 1\/n/],
    [['--parts', 'itemknn,pop', '--name', 'pop'], /a hybrid cannot be one of its own parts/],
  ] as const) {
    const r = runCli(['hybrid', '--work', ws.dir, ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
