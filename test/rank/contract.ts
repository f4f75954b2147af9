import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCase, loadDataset, type Dataset } from '../../src/data/dataset.js';
import { prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { runCli, sequentialDataset, tempDir } from '../helpers/fixtures.js';

export interface ContractOptions {
  /** Allowed absolute difference between scores computed in different batches. */
  tolerance?: number;
}

/** A prepared workspace on the sequential fixture, taught by the template teacher. */
export async function contractWorkspace(): Promise<Workspace> {
  const ws = Workspace.open(tempDir(), { create: true });
  await prepare(ws, { data: sequentialDataset(), format: 'plain', kcore: 1, missingMeta: 'error' });
  const taught = runCli(['teach', '--work', ws.dir, '--backend', 'template']);
  assert.equal(taught.status, 0, taught.stderr);
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

  // One workspace for the suite: a model that trains in `fit` trains once.
  let shared: Promise<Workspace> | undefined;
  const workspace = () => (shared ??= contractWorkspace());

  test(`${label}: scores every item for every history, finite, and describes itself`, async () => {
    const ws = await workspace();
    const ds = loadDataset(ws);
    const rec = make(ws);
    await rec.fit(ds);
    const h = histories(ds);
    const scores = await rec.score(h);
    assert.equal(scores.length, h.length * ds.items.length);
    assert.ok(scores.every(Number.isFinite), 'all scores finite');
    assert.ok(Object.keys(rec.describe()).length > 0);
    assert.ok(rec.name.length > 0);
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
    // A second workspace, so a model that trains in `fit` trains again on the changed data.
    const other = await contractWorkspace();
    const b = make(other);
    await b.fit(withTestChanged(loadDataset(other)));
    const h = histories(ds);
    near(await b.score(h), await a.score(h), 'scores after changing test items');
  });
}
