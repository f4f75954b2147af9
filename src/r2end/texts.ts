import type { Dataset } from '../data/dataset.js';
import { itemText, verbalizeHistory, type HistoryEntry, type VerbalizeOptions } from '../data/verbalize.js';
import type { History } from '../rank/recommender.js';

/**
 * The texts R2END trains and serves on. One function builds every history text, so training,
 * evaluation and serving verbalise histories identically.
 */

/** H_u for a history given as item indices, relative to the time the next item is asked for. */
export function historyText(ds: Dataset, h: History, v: VerbalizeOptions): string {
  const entries: HistoryEntry[] = Array.from(h.items, (item, p) => ({ item: ds.items[item], timestamp: h.times[p] }));
  const time = h.time ?? (h.times.length ? h.times[h.times.length - 1] : 0);
  return verbalizeHistory(entries, time, v);
}

/** The first `end` interactions of a user, asked for at the time of interaction `end`. */
export function prefix(ds: Dataset, user: number, end: number): History {
  return {
    items: ds.sequences[user].subarray(0, end),
    times: ds.times[user].subarray(0, end),
    time: ds.times[user][end],
  };
}

/**
 * A text followed by metadata (R_u ⊕ M_target, D_i ⊕ M_i). Metadata comes first: with a short
 * token window (USE-lite keeps 128 tokens) the item's own facts must not be cut off by a long
 * generated text; the order does not matter to a window that holds both.
 */
export function withMetadata(metadata: string, text: string | undefined): string {
  if (!text) return metadata;
  return metadata ? `${metadata}. ${text}` : text;
}

/**
 * e_i's text for every item: its metadata and, where the teacher wrote one, its description D_i;
 * empty for an item with neither (its vector is the encoder's for no text).
 */
export function itemTexts(ds: Dataset, descriptions: ReadonlyMap<number, string>, v: VerbalizeOptions): string[] {
  return ds.items.map((item, i) => withMetadata(itemText(item, v.fields), descriptions.get(i)));
}
