import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCase, loadDataset, type Dataset } from '../../src/data/dataset.js';
import { prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import type { History, Recommender } from '../../src/rank/recommender.js';
import { sequentialDataset, tempDir } from '../helpers/fixtures.js';

export interface ContractOptions {
  /** Allowed absolute difference between scores computed in different batches. */
  tolerance?: number;
}

export async function contractDataset(): Promise<Dataset> {
  const ws = Workspace.open(tempDir(), { create: true });
  await prepare(ws, { data: sequentialDataset(), format: 'plain', kcore: 1, missingMeta: 'error' });
  return loadDataset(ws);
}

/** The same dataset with every user's validation and test items replaced by item 0. */
function withHeldOutChanged(ds: Dataset): Dataset {
  const sequences = ds.sequences.map((s) => {
    const c = Int32Array.from(s);
    c[c.length - 1] = 0;
    c[c.length - 2] = 0;
    return c;
  });
  return { ...ds, sequences };
}

/**
 * The behaviour every recommender promises (src/rank/recommender.ts), run once per
 * implementation: shape, finiteness, determinism, batch independence, empty histories, and
 * that fitting never reads validation or test items.
 */
export function recommenderContract(label: string, make: () => Recommender, opts: ContractOptions = {}): void {
  const tol = opts.tolerance ?? 0;
  const near = (a: Float32Array, b: Float32Array, what: string) => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}: score ${i} differs (${a[i]} vs ${b[i]})`);
  };
  const histories = (ds: Dataset): History[] =>
    ds.userIds.map((_, u) => {
      const c = evalCase(ds, u, 'test');
      return { items: c.history, times: c.historyTimes };
    });

  test(`${label}: scores every item for every history, finite, and describes itself`, async () => {
    const ds = await contractDataset();
    const rec = make();
    await rec.fit(ds);
    const h = histories(ds);
    const scores = await rec.score(h);
    assert.equal(scores.length, h.length * ds.items.length);
    assert.ok(scores.every(Number.isFinite), 'all scores finite');
    assert.ok(Object.keys(rec.describe()).length > 0);
    assert.ok(rec.name.length > 0);
  });

  test(`${label}: deterministic, and each row depends only on its own history`, async () => {
    const ds = await contractDataset();
    const rec = make();
    await rec.fit(ds);
    const h = histories(ds);
    const all = await rec.score(h);
    near(await rec.score(h), all, 'second call');
    const n = ds.items.length;
    for (const u of [0, 3, h.length - 1]) near(await rec.score([h[u]]), all.subarray(u * n, (u + 1) * n), `user ${u} alone`);
    near(await rec.score([h[2], h[1]]), Float32Array.from([...all.subarray(2 * n, 3 * n), ...all.subarray(n, 2 * n)]), 'reordered batch');
  });

  test(`${label}: an empty history and an empty batch are handled`, async () => {
    const ds = await contractDataset();
    const rec = make();
    await rec.fit(ds);
    const row = await rec.score([{ items: new Int32Array(0), times: new Float64Array(0) }]);
    assert.equal(row.length, ds.items.length);
    assert.ok(row.every(Number.isFinite));
    assert.equal((await rec.score([])).length, 0);
  });

  test(`${label}: fitting reads only the training part of each sequence`, async () => {
    const ds = await contractDataset();
    const a = make();
    await a.fit(ds);
    const b = make();
    await b.fit(withHeldOutChanged(ds));
    const h = histories(ds);
    near(await b.score(h), await a.score(h), 'scores after changing validation/test items');
  });
}
