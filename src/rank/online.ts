import type { HistoryEntry } from '../data/verbalize.js';
import type { History, Ranking } from './recommender.js';

/**
 * A history as a request gives it (items of the catalogue and free text, oldest first) in the
 * form every recommender reads: ID models get the dataset's items (rows below `trained`), text
 * models get every entry. `time` (when the recommendation is asked for) defaults to the latest entry.
 */
export function onlineHistory(
  entries: readonly HistoryEntry[],
  row: (entry: Extract<HistoryEntry, { item: unknown }>) => number,
  trained: number,
  time?: number,
): History {
  const known = entries.flatMap((e) => {
    if (!('item' in e)) return [];
    const r = row(e);
    return r < trained ? [{ r, t: e.timestamp }] : [];
  });
  return {
    items: Int32Array.from(known, (k) => k.r),
    times: Float64Array.from(known, (k) => k.t),
    time: time ?? (entries.length ? Math.max(...entries.map((e) => e.timestamp)) : 0),
    entries,
  };
}

/**
 * The k best rows of one score row, best first; equal scores rank the lower row first (the
 * engine's top-K rule), excluded rows and -Infinity never appear.
 */
export function topRows(scores: Float32Array, k: number, exclude: ReadonlySet<number> = new Set()): Ranking {
  const rows: number[] = [];
  const kept: number[] = [];
  for (let j = 0; j < scores.length; j++) {
    const v = scores[j];
    if (v === -Infinity || Number.isNaN(v) || exclude.has(j)) continue;
    if (rows.length === k && v <= kept[k - 1]) continue;
    // Insertion keeps (score desc, row asc): rows arrive in increasing order, so an equal score goes after.
    let p = rows.length < k ? rows.length : k - 1;
    if (rows.length < k) {
      rows.push(j);
      kept.push(v);
    }
    while (p > 0 && kept[p - 1] < v) {
      rows[p] = rows[p - 1];
      kept[p] = kept[p - 1];
      p--;
    }
    rows[p] = j;
    kept[p] = v;
  }
  return { rows, scores: kept };
}
