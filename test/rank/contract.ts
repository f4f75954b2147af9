import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCase, loadDataset, trainCounts, type Dataset } from '../../src/data/dataset.js';
import type { Workspace } from '../../src/data/workspace.js';
import { topRows } from '../../src/rank/online.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { preparedWorkspace, sequentialDataset } from '../support/fixtures.js';
import { teachTemplate } from '../support/r2end.js';

export interface ContractOptions {
  /** Allowed absolute difference between scores computed in different batches. */
  tolerance?: number;
  /** Trains the model in a workspace before `fit` loads it (trained models; baselines need none). */
  train?: (ws: Workspace, ds: Dataset) => Promise<void>;
}

/**
 * A prepared workspace on the sequential fixture (12 users, 8 items), taught by the template
 * teacher. With `coldItem` (as the contract suite runs) it has a 13th user whose test item
 * "cold" nobody else has, so training never sees that item.
 */
export async function contractWorkspace(coldItem = false): Promise<Workspace> {
  const ws = await preparedWorkspace(sequentialDataset(12, 8, 6, coldItem));
  teachTemplate(ws.dir);
  return ws;
}

export async function contractDataset(): Promise<Dataset> {
  return loadDataset(await contractWorkspace());
}

/** The same dataset with every user's test item replaced by item 0. */
function withTestChanged(ds: Dataset): Dataset {
  const sequences = ds.sequences.map((s) => {
    const c = Int32Array.from(s);
    c[c.length - 1] = 0;
    return c;
  });
  return { ...ds, sequences };
}

/**
 * The behaviour every recommender promises (src/rank/recommender.ts), run once per
 * implementation: shape, finiteness, determinism, batch independence, empty histories, and
 * that fitting never reads test items (validation may serve model selection).
 */
export function recommenderContract(
  label: string,
  make: (ws: Workspace) => Recommender,
  opts: ContractOptions = {},
): void {
  const tol = opts.tolerance ?? 0;
  const near = (a: Float32Array, b: Float32Array, what: string) => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}: score ${i} differs (${a[i]} vs ${b[i]})`);
  };
  const histories = (ds: Dataset): History[] =>
    ds.userIds.map((_, u) => {
      const c = evalCase(ds, u, 'test');
      return { items: c.history, times: c.historyTimes };
    });

  const trained = async (ws: Workspace, ds = loadDataset(ws)) => {
    await opts.train?.(ws, ds);
    return ws;
  };
  // One workspace for the suite: a trained model trains once.
  let shared: Promise<Workspace> | undefined;
  const workspace = () => (shared ??= contractWorkspace(true).then((ws) => trained(ws)));

  test(`${label}: scores every item for every history, finite, and describes itself`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    const h = histories(ds);
    const scores = await rec.score(h);
    assert.equal(scores.length, h.length * ds.items.length);
    assert.ok(scores.every(Number.isFinite), 'all scores finite');
    assert.equal(typeof rec.describe().model, 'string', 'describe() names the model');
  });

  test(`${label}: a history's time defaults to its latest entry, and any time gives finite scores`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    const h = histories(ds).slice(0, 4);
    const at = (shift: number) => h.map((x) => ({ ...x, time: x.times[x.times.length - 1] + shift }));
    near(await rec.score(at(0)), await rec.score(h), 'time = latest entry vs time omitted');
    const later = await rec.score(at(10 * 365 * 86_400));
    assert.equal(later.length, h.length * ds.items.length);
    assert.ok(later.every(Number.isFinite), 'scores ten years later are finite');
  });

  test(`${label}: an item with no training interaction is scored from content when scoresUnseenItems says so`, async (t) => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    if (!rec.scoresUnseenItems) {
      t.skip('scores items from interactions only: a hybrid gives cold items the neutral score instead');
      return;
    }
    const cold = ds.itemIndex.get('cold')!;
    assert.equal(trainCounts(ds)[cold], 0, 'the fixture item "cold" has no training interaction');
    const n = ds.items.length;
    const scores = await rec.score(histories(ds));
    const coldScores = new Set(ds.userIds.map((_, u) => scores[u * n + cold]));
    assert.ok(coldScores.size > 1, 'the cold item scores differently for different histories');
  });

  test(`${label}: deterministic, and each row depends only on its own history`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    const h = histories(ds);
    const all = await rec.score(h);
    near(await rec.score(h), all, 'second call');
    const n = ds.items.length;
    for (const u of [0, 3, h.length - 1])
      near(await rec.score([h[u]]), all.subarray(u * n, (u + 1) * n), `user ${u} alone`);
    near(
      await rec.score([h[2], h[1]]),
      Float32Array.from([...all.subarray(2 * n, 3 * n), ...all.subarray(n, 2 * n)]),
      'reordered batch',
    );
  });

  test(`${label}: topK, where the model ranks in the engine, ranks as its score() rows do`, async (t) => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    if (!rec.topK) {
      t.skip('ranked from its score() rows');
      return;
    }
    const h = histories(ds);
    const n = ds.items.length;
    const scores = await rec.score(h);
    // Every other user excludes their history items.
    const exclude = h.map((x, u) => (u % 2 ? [...new Set(x.items)] : []));
    for (const k of [1, 3, n + 2]) {
      const top = await rec.topK(h, k, exclude);
      assert.equal(top.length, h.length);
      top.forEach((got, u) => {
        const expected = topRows(scores.subarray(u * n, (u + 1) * n), k, new Set(exclude[u]));
        assert.deepEqual(got.rows, expected.rows, `user ${u}, k ${k}: rows`);
        near(Float32Array.from(got.scores), Float32Array.from(expected.scores), `user ${u}, k ${k}: scores`);
      });
    }
    assert.deepEqual(await rec.topK([], 3, []), []);
  });

  test(`${label}: an empty history and an empty batch are handled`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    const row = await rec.score([{ items: new Int32Array(0), times: new Float64Array(0) }]);
    assert.equal(row.length, ds.items.length);
    assert.ok(row.every(Number.isFinite));
    assert.equal((await rec.score([])).length, 0);
  });

  test(`${label}: fitting never reads test items`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const a = make(ws);
    await a.fit(ds);
    // A second workspace, so a trained model trains again on the changed data.
    const other = await contractWorkspace(true);
    const changed = withTestChanged(loadDataset(other));
    await trained(other, changed);
    const b = make(other);
    await b.fit(changed);
    const h = histories(ds);
    near(await b.score(h), await a.score(h), 'scores after changing test items');
  });
}
