import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordedValidationNdcg10, makeRecommender, modelVersion } from '../../src/app/registry.js';
import { ItemKnnRecommender } from '../../src/baselines/itemknn.js';
import { PopRecommender } from '../../src/baselines/pop.js';
import { DECAYS, RepeatRecommender, SATIATIONS, trainRepeat, type RepeatSpec } from '../../src/baselines/repeat.js';
import { evalCase, loadDataset, trainCounts, type Dataset } from '../../src/data/dataset.js';
import type { Workspace } from '../../src/data/workspace.js';
import { Random } from '../../src/engine/random.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { HybridRecommender } from '../../src/hybrid/hybrid.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { runCli } from '../support/cli.js';
import { plainDataset, preparedWorkspace } from '../support/fixtures.js';
import { contractDataset, contractWorkspace, recommenderContract } from '../rank/contract.js';

recommenderContract('repeat', (ws) => makeRecommender('repeat', ws), {
  train: async (ws, ds) => void (await trainRepeat(ws, ds, { name: 'repeat' })),
});

const ITEMS = 30;

/**
 * 60 users, each with a favourite item among 30 (two users per favourite) that they had three
 * times early on, then three other items once each, then the favourite again for validation and
 * for test. The other items are drawn at random, so neither popularity nor co-occurrence points
 * at a user's favourite; only their own history does.
 */
function repeatWorkspace(): Promise<Workspace> {
  const random = new Random(7);
  const rows: Array<[string, string, number]> = [];
  for (let u = 0; u < 60; u++) {
    const favourite = (u * 7) % ITEMS;
    const others: number[] = [];
    while (others.length < 5) {
      const x = random.int(ITEMS);
      if (x !== favourite && !others.includes(x)) others.push(x);
    }
    const [a, b, c, d, e] = others;
    [favourite, a, favourite, b, favourite, c, d, e, favourite, favourite].forEach((item, p) =>
      rows.push([`u${u}`, `i${item}`, 1_600_000_000 + p * 86_400 + u]),
    );
  }
  const items = Array.from({ length: ITEMS }, (_, i) => ({ id: `i${i}`, title: `Item ${i}` }));
  return preparedWorkspace(plainDataset(rows, items));
}

let shared: Promise<{ ws: Workspace; ds: Dataset; spec: RepeatSpec }> | undefined;
/** The repeat fixture with the repeat model trained once for the file. */
const repeatFixture = () =>
  (shared ??= repeatWorkspace().then(async (ws) => {
    const ds = loadDataset(ws);
    return { ws, ds, spec: await trainRepeat(ws, ds, { name: 'repeat' }) };
  }));

test('training again on the same data keeps the published model; fresh trains it anew', async () => {
  const ws = await repeatWorkspace();
  const ds = loadDataset(ws);
  const spec = await trainRepeat(ws, ds, { name: 'repeat' });
  const again = await trainRepeat(ws, ds, { name: 'repeat' });
  assert.equal(again.created, spec.created, 'the same training, not a new one');
  const other = await trainRepeat(ws, ds, { name: 'repeat', decays: [0.5, 1] });
  assert.notEqual(other.created, spec.created, 'other decays to try: trained again');
  const fresh = await trainRepeat(ws, ds, { name: 'repeat', fresh: true });
  assert.notEqual(fresh.created, other.created);
  assert.deepEqual({ ...fresh, created: spec.created }, spec, 'the same choice, made again');
});

test('satiation: where the item just consumed never comes next, the window that damps it is chosen', async () => {
  // Every user alternates between two items of their own, half an hour apart: the newest item is
  // never the next one, the one before it always is. Plain recency ranks the wrong one first; a
  // one-hour window damps only the newest; a day or a week damps both and gives recency back.
  const rows: Array<[string, string, number]> = [];
  for (let u = 0; u < 20; u++)
    for (let p = 0; p < 9; p++) rows.push([`u${u}`, `i${(u + (p % 2) * 7) % 20}`, 1_600_000_000 + p * 1800 + u * 1e5]);
  const items = Array.from({ length: 20 }, (_, i) => ({ id: `i${i}`, title: `Item ${i}` }));
  const ws = await preparedWorkspace(plainDataset(rows, items));
  const ds = loadDataset(ws);
  const spec = await trainRepeat(ws, ds, { name: 'repeat' });
  assert.equal(spec.satiation, 3600);
  const rec = new RepeatRecommender(spec);
  await rec.fit(ds);
  const test = await evaluate(rec, ds, { split: 'test', silent: true });
  assert.equal(test.metrics.MRR, 1, 'the item before the newest is first for every user');
  const plain = new RepeatRecommender({ decay: spec.decay, satiation: 0 });
  await plain.fit(ds);
  assert.equal((await evaluate(plain, ds, { split: 'test', silent: true })).metrics.MRR, 0.5);
});

test('on the repeat fixture every validation and test target repeats a history item', async () => {
  const { ds } = await repeatFixture();
  for (const split of ['valid', 'test'] as const)
    for (let u = 0; u < ds.userIds.length; u++) {
      const c = evalCase(ds, u, split);
      assert.ok(c.history.includes(c.target), `user ${u} ${split}`);
    }
});

test('the decay is chosen on validation through the evaluator and recorded in repeat.json', async () => {
  const { ws, ds, spec } = await repeatFixture();
  const saved = JSON.parse(readFileSync(join(ws.path('models', 'repeat'), 'repeat.json'), 'utf8')) as RepeatSpec;
  assert.deepEqual(saved, spec);
  assert.equal(saved.kind, 'repeat');
  assert.deepEqual(
    saved.validation.map((v) => [v.decay, v.satiation]),
    DECAYS.flatMap((d) => SATIATIONS.map((s) => [d, s])),
  );
  // The favourite is also the validation item a day before the test: damping it cannot help.
  assert.equal(saved.satiation, 0);
  assert.equal(saved.validationRepeatShare, 1);
  assert.ok(!Number.isNaN(Date.parse(saved.created)));
  const best = Math.max(...saved.validation.map((v) => v['NDCG@10']));
  assert.equal(
    saved.validation.find((v) => v.decay === saved.decay && v.satiation === saved.satiation)!['NDCG@10'],
    best,
  );
  for (const v of saved.validation) {
    const rec = new RepeatRecommender(v);
    await rec.fit(ds);
    const direct = await evaluate(rec, ds, { split: 'valid', silent: true });
    assert.equal(v['NDCG@10'], direct.metrics['NDCG@10'], `decay ${v.decay}, satiation ${v.satiation}`);
    assert.equal(v['HR@10'], direct.metrics['HR@10'], `decay ${v.decay}, satiation ${v.satiation}`);
  }
  // The favourite is three times in the history, but behind three newer items: frequency wins,
  // a steep decay ranks the newer items first.
  assert.ok(saved.decay >= 0.8, `chosen decay ${saved.decay}`);
  assert.ok(best - saved.validation[0]['NDCG@10'] > 0.3, JSON.stringify(saved.validation));
  assert.equal(recordedValidationNdcg10(ws, 'repeat'), best);
  assert.equal(modelVersion(ws, 'repeat'), `v1 (${saved.created})`);
});

test('the repeat model ranks the repeated item first and beats pop and itemknn by a clear margin', async () => {
  const { ws, ds } = await repeatFixture();
  const result = async (rec: Recommender) => {
    await rec.fit(ds);
    return (await evaluate(rec, ds, { split: 'test', silent: true })).metrics;
  };
  const repeat = await result(makeRecommender('repeat', ws));
  // MRR 1 is HR@1 1: the repeated item is first for every user. MRR bounds the others' HR@1.
  assert.equal(repeat.MRR, 1);
  assert.equal(repeat['NDCG@10'], 1);
  for (const other of [new PopRecommender(), new ItemKnnRecommender()]) {
    const m = await result(other);
    assert.ok(m.MRR < 0.5 && m['NDCG@10'] < 0.6, `${other.name}: ${JSON.stringify(m)}`);
  }
});

test('an item in the history is neither boosted nor suppressed by item kNN for being there', async () => {
  const ds = await contractDataset(); // every sequence walks i0 -> i1 -> ... (mod 8)
  const rec = new ItemKnnRecommender();
  await rec.fit(ds);
  const i0 = ds.itemIndex.get('i0')!;
  const i7 = ds.itemIndex.get('i7')!;
  const row = async (items: number[]) =>
    rec.score([{ items: Int32Array.from(items), times: new Float64Array(items.length) }]);
  // i0 follows i7; having had i0 before changes nothing of i0's own score.
  assert.equal((await row([i0, i7]))[i0], (await row([i7]))[i0]);
  assert.ok((await row([i7]))[i0] > 0.01, 'i0 is a neighbour of i7');
});

/** A content part that prefers one item (scoring it from text, so items without training data too). */
function textPart(prefer: number, items: number): Recommender {
  return {
    name: 'text',
    scoresUnseenItems: true,
    describe: () => ({ model: 'text' }),
    fit: async () => {},
    score: async (hs: readonly History[]) => {
      const out = new Float32Array(hs.length * items);
      for (let r = 0; r < hs.length; r++) for (let j = 0; j < items; j++) out[r * items + j] = j === prefer ? 100 : j;
      return out;
    },
  };
}

test('a hybrid with the repeat model keeps items without training interactions recommendable', async () => {
  const ws = await contractWorkspace(true);
  const ds = loadDataset(ws);
  const cold = ds.itemIndex.get('cold')!;
  assert.equal(trainCounts(ds)[cold], 0);
  const history = Int32Array.from([0, 1, 2], (i) => ds.itemIndex.get(`i${i}`)!);
  const h: History = { items: history, times: new Float64Array(3) };
  for (const [weights, coldRank] of [
    [[0.5, 0.5], 0],
    [[0.2, 0.8], 3],
  ] as const) {
    const hybrid = new HybridRecommender(
      'h',
      [textPart(cold, ds.items.length), new RepeatRecommender({ decay: 0.8, satiation: 0 })],
      weights,
    );
    await hybrid.fit(ds);
    const row = await hybrid.score([h]);
    const ahead = row.filter((s) => s > row[cold]).length;
    // Only the history items, which the repeat part pushes up, may come before it.
    assert.equal(ahead, coldRank, `weights ${weights}: ${[...row]}`);
  }
  // Had the user had the cold item, the repeat part's score of it would still not count (z = 0).
  const hybrid = new HybridRecommender(
    'h',
    [textPart(cold, ds.items.length), new RepeatRecommender({ decay: 0.8, satiation: 0 })],
    [0.5, 0.5],
  );
  await hybrid.fit(ds);
  const had = await hybrid.score([{ items: Int32Array.of(history[0], cold), times: new Float64Array(2) }]);
  const not = await hybrid.score([{ items: history.subarray(0, 1), times: new Float64Array(1) }]);
  assert.equal(had[cold], not[cold]);
});

test('train --model repeat, evaluate --recommender repeat, and a hybrid with it, through the CLI', async () => {
  const ws = await contractWorkspace();
  const missing = runCli(['evaluate', '--work', ws.dir, '--recommender', 'repeat']);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(
    missing.stderr,
    /--recommender repeat: unknown.*train it first: r2end train --work \S+ --model repeat\)/,
  );
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  const foreign = runCli(['train', '--work', ws.dir, '--model', 'repeat', '--epochs', '3']);
  assert.equal(foreign.status, 2, foreign.stderr);
  assert.match(foreign.stderr, /--epochs does not apply to --model repeat/);

  const trained = runCli(['train', '--work', ws.dir, '--model', 'repeat', '--name', 'rep']);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stdout, /model rep in .* \(repeat, decay [\d.]+, satiation \d+ s; validation NDCG@10 [\d.]+/);
  const spec = JSON.parse(readFileSync(join(ws.path('models', 'rep'), 'repeat.json'), 'utf8')) as RepeatSpec;
  const evaluated = runCli(['evaluate', '--work', ws.dir, '--recommender', 'rep', '--json']);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const result = JSON.parse(evaluated.stdout);
  assert.equal(result.about.decay, spec.decay);
  const rec = new RepeatRecommender(spec, 'rep');
  await rec.fit(loadDataset(ws));
  const direct = await evaluate(rec, loadDataset(ws), { split: 'test', silent: true });
  assert.deepEqual(result.metrics, direct.metrics);

  const hybrid = runCli(['hybrid', '--work', ws.dir, '--parts', 'itemknn,rep', '--step', '0.5']);
  assert.equal(hybrid.status, 0, hybrid.stderr);
  assert.match(hybrid.stdout, /weights itemknn [\d.]+, rep [\d.]+/);
  const both = runCli(['evaluate', '--work', ws.dir, '--recommender', 'hybrid', '--json']);
  assert.equal(both.status, 0, both.stderr);
  assert.equal(JSON.parse(both.stdout).about['rep.decay'], spec.decay);
});
