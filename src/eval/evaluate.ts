import { evalCase, trainCounts, type Dataset } from '../data/dataset.js';
import type { EvalSplit } from '../data/types.js';
import type { History, Recommender } from '../rank/recommender.js';
import { Progress } from '../util/progress.js';
import { expectedHit, expectedNdcg, expectedRR, harmonicTable } from './metrics.js';

export const CUTOFFS = [5, 10, 20] as const;
/** The least popular share of items (by training count) that forms the long tail. */
export const LONG_TAIL_SHARE = 0.8;
export const TIE_RULE = 'expected over a random order of tied items';

export interface EvalOptions {
  split: EvalSplit;
  /** Mask the user's history items (never the target) before ranking. */
  excludeSeen?: boolean;
  batchSize?: number;
  /** Evaluate these users only (default: all). */
  users?: readonly number[];
  silent?: boolean;
}

export interface EvalResult {
  recommender: string;
  dataset: string;
  split: EvalSplit;
  users: number;
  items: number;
  ties: string;
  exclude_seen: boolean;
  metrics: Record<string, number>;
  longtail: { users: number; 'HR@10': number; 'NDCG@10': number };
  'coverage@10': number;
  seconds: number;
  about: Record<string, string | number | boolean>;
}

/** Items in the least popular 80% by training count (count ascending, index breaks ties). */
export function longTailItems(ds: Dataset): Uint8Array {
  const counts = trainCounts(ds);
  const order = Array.from(counts.keys()).sort((a, b) => counts[a] - counts[b] || a - b);
  const tail = new Uint8Array(counts.length);
  for (const i of order.slice(0, Math.floor(LONG_TAIL_SHARE * counts.length))) tail[i] = 1;
  return tail;
}

/**
 * Full-ranking evaluation: every user's target is ranked against all items. Only counts are
 * needed for the metrics (items scored above and tied with the target), and top-10 for
 * coverage comes from one partial selection pass, so no score list is ever sorted.
 */
export async function evaluate(rec: Recommender, ds: Dataset, opts: EvalOptions): Promise<EvalResult> {
  return evaluateScorer({ name: rec.name, describe: () => rec.describe(), score: (_, h) => rec.score(h) }, ds, opts);
}

/**
 * What the evaluator ranks by: scores of every item for a batch of users (their indices in the
 * dataset, and their histories for the split). A model under training validates through this
 * with vectors it already holds per user, so every model is selected by the same rule.
 */
export interface UserScorer {
  name: string;
  describe(): Record<string, string | number | boolean>;
  score(users: readonly number[], histories: readonly History[]): Promise<Float32Array>;
}

export async function evaluateScorer(rec: UserScorer, ds: Dataset, opts: EvalOptions): Promise<EvalResult> {
  const start = performance.now();
  const nItems = ds.items.length;
  const users = opts.users ?? Array.from(ds.userIds.keys());
  const batchSize = opts.batchSize ?? 256;
  const harmonic = harmonicTable(nItems + 1);
  const tail = longTailItems(ds);
  const sums: Record<string, number> = Object.fromEntries(
    [...CUTOFFS.flatMap((k) => [`HR@${k}`, `NDCG@${k}`]), 'MRR'].map((m) => [m, 0]),
  );
  const tailSums = { users: 0, hit: 0, ndcg: 0 };
  const covered = new Uint8Array(nItems);
  const top = new Int32Array(10);
  const progress = new Progress(`evaluate ${rec.name} (${opts.split})`, users.length, {
    unit: 'users',
    silent: opts.silent,
  });

  for (let b = 0; b < users.length; b += batchSize) {
    const batch = users.slice(b, b + batchSize);
    const cases = batch.map((u) => evalCase(ds, u, opts.split));
    const histories: History[] = cases.map((c) => ({ items: c.history, times: c.historyTimes, time: c.targetTime }));
    const scores = await rec.score(batch, histories);
    if (scores.length !== cases.length * nItems)
      throw new Error(`${rec.name}.score returned ${scores.length} scores, expected ${cases.length} x ${nItems}`);
    cases.forEach((c, r) => {
      const row = scores.subarray(r * nItems, (r + 1) * nItems);
      if (opts.excludeSeen) for (const h of c.history) if (h !== c.target) row[h] = -Infinity;
      const { greater, equal } = rankRow(row, c.target, top);
      for (const i of top) if (i >= 0) covered[i] = 1;
      for (const k of CUTOFFS) {
        sums[`HR@${k}`] += expectedHit(greater, equal, k);
        sums[`NDCG@${k}`] += expectedNdcg(greater, equal, k);
      }
      sums.MRR += expectedRR(greater, equal, harmonic);
      if (tail[c.target]) {
        tailSums.users++;
        tailSums.hit += expectedHit(greater, equal, 10);
        tailSums.ndcg += expectedNdcg(greater, equal, 10);
      }
    });
    progress.tick(cases.length);
  }
  progress.finish();

  const n = Math.max(users.length, 1);
  let coverage = 0;
  for (const c of covered) coverage += c;
  return {
    recommender: rec.name,
    dataset: ds.name,
    split: opts.split,
    users: users.length,
    items: nItems,
    ties: TIE_RULE,
    exclude_seen: Boolean(opts.excludeSeen),
    metrics: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])),
    longtail: {
      users: tailSums.users,
      'HR@10': tailSums.hit / Math.max(tailSums.users, 1),
      'NDCG@10': tailSums.ndcg / Math.max(tailSums.users, 1),
    },
    'coverage@10': coverage / nItems,
    seconds: (performance.now() - start) / 1000,
    about: rec.describe(),
  };
}

/**
 * One pass over a score row: how many items score above / equal to the target, and the top
 * `top.length` items (score descending, lower index first among equals) written into `top`.
 */
export function rankRow(row: Float32Array, target: number, top: Int32Array): { greater: number; equal: number } {
  const s = row[target];
  if (Number.isNaN(s)) throw new Error(`score of the target item ${target} is NaN`);
  const k = top.length;
  top.fill(-1);
  const topScore = new Float64Array(k);
  let filled = 0;
  let greater = 0;
  let equal = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    // Branch-free counting: scores above and below the target interleave unpredictably.
    greater += +(v > s);
    equal += +(v === s);
    if (v === -Infinity || (filled === k && v <= topScore[k - 1])) continue;
    // Insert keeping (score desc, index asc): scanning in index order puts equal scores after
    // the ones already there, and an equal score never displaces the last kept one.
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && topScore[p - 1] < v) {
      topScore[p] = topScore[p - 1];
      top[p] = top[p - 1];
      p--;
    }
    topScore[p] = v;
    top[p] = j;
  }
  return { greater, equal: equal - 1 };
}
