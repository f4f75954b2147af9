import { createHash } from 'node:crypto';
import { UserError } from '../util/errors.js';
import type { Workspace } from './workspace.js';
import type { EvalSplit, Item } from './types.js';

/**
 * The prepared dataset in memory: items and users by dense index, and each user's full
 * chronological sequence. The leave-one-out split is positional (see split.ts) and the same
 * one that `prepare` persisted in the workspace.
 */
export interface Dataset {
  name: string;
  items: Item[];
  itemIndex: Map<string, number>;
  userIds: string[];
  userIndex: Map<string, number>;
  /** Per user: item indices in chronological order (train..., valid, test). */
  sequences: Int32Array[];
  /** Per user: Unix seconds, aligned with `sequences`. */
  times: Float64Array[];
}

export interface DatasetInfo {
  name: string;
  source: string;
  format: string;
  kcore: number;
  users: number;
  items: number;
  interactions: number;
}

export function loadDataset(ws: Workspace): Dataset {
  const info = ws.getMeta<DatasetInfo>('dataset');
  const items: Item[] = [];
  const itemIndex = new Map<string, number>();
  for (const row of ws.db
    .prepare('SELECT idx, item_id, title, categories, brand, description FROM items ORDER BY idx')
    .iterate() as Iterable<ItemRow>) {
    itemIndex.set(row.item_id, items.length);
    items.push({
      id: row.item_id,
      title: row.title,
      categories: JSON.parse(row.categories),
      brand: row.brand,
      description: row.description,
    });
  }
  const userIds = ws.db.prepare('SELECT user_id FROM users ORDER BY idx').pluck().all() as string[];
  const userIndex = new Map(userIds.map((u, i) => [u, i]));
  const counts = new Int32Array(userIds.length);
  for (const r of ws.db
    .prepare('SELECT user_idx, COUNT(*) AS n FROM interactions GROUP BY user_idx')
    .iterate() as Iterable<{ user_idx: number; n: number }>) {
    counts[r.user_idx] = r.n;
  }
  const sequences = Array.from(counts, (n) => new Int32Array(n));
  const times = Array.from(counts, (n) => new Float64Array(n));
  const rows = ws.db.prepare('SELECT user_idx, pos, item_idx, ts FROM interactions').raw().iterate() as Iterable<
    [number, number, number, number]
  >;
  for (const [u, pos, item, ts] of rows) {
    sequences[u][pos] = item;
    times[u][pos] = ts;
  }
  return { name: info?.name ?? 'dataset', items, itemIndex, userIds, userIndex, sequences, times };
}

interface ItemRow {
  idx: number;
  item_id: string;
  title: string;
  categories: string;
  brand: string | null;
  description: string | null;
}

/** One evaluation case: what the model sees (history) and what it must rank high (target). */
export interface EvalCase {
  user: number;
  history: Int32Array;
  historyTimes: Float64Array;
  target: number;
  targetTime: number;
}

/**
 * Leave-one-out: the last item is test, the one before it validation, the rest train.
 * Validation sees the training part as history; test sees training + validation.
 */
export function evalCase(ds: Dataset, user: number, split: EvalSplit): EvalCase {
  const seq = ds.sequences[user];
  const end = split === 'test' ? seq.length - 1 : seq.length - 2;
  return {
    user,
    history: seq.subarray(0, end),
    historyTimes: ds.times[user].subarray(0, end),
    target: seq[end],
    targetTime: ds.times[user][end],
  };
}

/** Number of training interactions of a user (everything but the last two). */
export function trainLength(ds: Dataset, user: number): number {
  return ds.sequences[user].length - 2;
}

/** How often each item occurs in the training part of all sequences. */
export function trainCounts(ds: Dataset): Int32Array {
  const counts = new Int32Array(ds.items.length);
  for (let u = 0; u < ds.sequences.length; u++) {
    const seq = ds.sequences[u];
    for (let p = 0; p < seq.length - 2; p++) counts[seq[p]]++;
  }
  return counts;
}

/**
 * What a trained model's indices mean, as one hash: the item ids in index order and every user's
 * id and item sequence (which fixes the leave-one-out split). A model trained on data with another
 * fingerprint would score the wrong items, even with the same number of them.
 */
export function datasetFingerprint(ds: Dataset): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(ds.items.map((item) => item.id)));
  ds.userIds.forEach((id, u) => {
    const seq = ds.sequences[u];
    hash.update(`\n${JSON.stringify(id)} ${seq.length}\n`);
    hash.update(new Uint8Array(seq.buffer, seq.byteOffset, seq.byteLength));
  });
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Refuses a model trained on other data than `ds`, or recording none (an older r2end): loaded, it
 * would silently misalign. `retrain` is the command that makes it again.
 */
export function checkTrainedOn(ds: Dataset, model: string, fingerprint: string | undefined, retrain: string): void {
  if (fingerprint === undefined)
    throw new UserError(
      `model ${model} does not record which data it was trained on (made by an older r2end); retrain it with ${retrain}`,
    );
  if (fingerprint !== datasetFingerprint(ds))
    throw new UserError(
      `model ${model} was trained on other data than this workspace holds (items or split differ); retrain it with ${retrain}`,
    );
}
