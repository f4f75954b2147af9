import { trainLength, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';

/**
 * What the teacher may know: the training part of every sequence and nothing else. Validation
 * and test interactions never enter this view, so no prompt or template text built from it can
 * leak them.
 */
export interface TrainingView {
  ds: Dataset;
  /** Per user: number of training interactions. */
  trainLen: Int32Array;
  /** Per item: how many training interactions it has. */
  trainCount: Int32Array;
  /**
   * Per item: its training buyers' previous training interaction (time T-1), as flat pairs
   * [user, pos of the previous item], most recent purchase of the item first.
   */
  priors: Int32Array[];
  /** Review text of training interactions, by `user * stride + pos` (empty without reviews). */
  reviews: Map<number, string>;
  reviewStride: number;
}

export function trainingView(ws: Workspace, ds: Dataset): TrainingView {
  const nUsers = ds.sequences.length;
  const trainLen = new Int32Array(nUsers);
  const trainCount = new Int32Array(ds.items.length);
  const priorCount = new Int32Array(ds.items.length);
  let stride = 1;
  for (let u = 0; u < nUsers; u++) {
    trainLen[u] = Math.max(0, trainLength(ds, u));
    stride = Math.max(stride, ds.sequences[u].length);
    const seq = ds.sequences[u];
    for (let p = 0; p < trainLen[u]; p++) {
      trainCount[seq[p]]++;
      if (p > 0) priorCount[seq[p]]++;
    }
  }
  // Flat per-item arrays: two passes instead of millions of small pushes.
  const priors: Int32Array[] = Array.from(priorCount, (n) => new Int32Array(2 * n));
  const fill = new Int32Array(ds.items.length);
  for (let u = 0; u < nUsers; u++) {
    const seq = ds.sequences[u];
    for (let p = 1; p < trainLen[u]; p++) {
      const arr = priors[seq[p]];
      arr[fill[seq[p]]++] = u;
      arr[fill[seq[p]]++] = p - 1;
    }
  }
  for (let i = 0; i < priors.length; i++) priors[i] = sortPairsByTimeDesc(priors[i], ds);
  const reviews = new Map<number, string>();
  const rows = ws.db
    .prepare(
      "SELECT user_idx, pos, review FROM interactions WHERE split = 'train' AND review IS NOT NULL AND trim(review) != ''",
    )
    .raw()
    .iterate() as Iterable<[number, number, string]>;
  for (const [u, pos, review] of rows) if (pos < trainLen[u]) reviews.set(u * stride + pos, review);
  return { ds, trainLen, trainCount, priors, reviews, reviewStride: stride };
}

/** The purchase of the item at (user, pos + 1) happened at this time: sort newest first, stable. */
function sortPairsByTimeDesc(pairs: Int32Array, ds: Dataset): Int32Array {
  const n = pairs.length / 2;
  if (n < 2) return pairs;
  const order = Array.from({ length: n }, (_, k) => k);
  const t = (k: number) => ds.times[pairs[2 * k]][pairs[2 * k + 1] + 1];
  order.sort((a, b) => t(b) - t(a) || a - b);
  const out = new Int32Array(pairs.length);
  order.forEach((k, j) => {
    out[2 * j] = pairs[2 * k];
    out[2 * j + 1] = pairs[2 * k + 1];
  });
  return out;
}

export function review(view: TrainingView, user: number, pos: number): string | undefined {
  return view.reviews.get(user * view.reviewStride + pos);
}

/** The reasoning target of a user: the last training item; the history is what precedes it. */
export function reasoningTarget(view: TrainingView, user: number): { history: number; target: number } | undefined {
  const n = view.trainLen[user];
  return n >= 2 ? { history: n - 1, target: view.ds.sequences[user][n - 1] } : undefined;
}

/** Prior items of an item's buyers, aggregated: [item, how many buyers], most frequent first. */
export function priorItemCounts(view: TrainingView, item: number): Array<[number, number]> {
  const pairs = view.priors[item];
  const counts = new Map<number, number>();
  for (let k = 0; k < pairs.length; k += 2) {
    const prev = view.ds.sequences[pairs[k]][pairs[k + 1]];
    counts.set(prev, (counts.get(prev) ?? 0) + 1);
  }
  // Map keeps first-seen order (most recent first), so equal counts stay newest first.
  return [...counts].sort((a, b) => b[1] - a[1]);
}
