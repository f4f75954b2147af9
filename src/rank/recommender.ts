import type { Dataset } from '../data/dataset.js';

/** A user's history as the recommender sees it: item indices and times, oldest first. */
export interface History {
  items: Int32Array;
  times: Float64Array;
  /**
   * When the recommendation is asked for (Unix seconds): in offline evaluation the held-out
   * item's time, at serving time now. Text models verbalise the history relative to it.
   */
  time?: number;
}

/**
 * What every recommender implements (and what the shared contract suite checks): fit on the
 * training part of the split only; score every item for a batch of histories.
 */
export interface Recommender {
  readonly name: string;
  /**
   * True when items are scored from their content (text), so items without any training
   * interaction get meaningful scores (cold start); ID-based models leave it unset.
   */
  readonly scoresUnseenItems?: boolean;
  /** Facts for reports: what produced the numbers (settings, data, teacher, encoder...). */
  describe(): Record<string, string | number | boolean>;
  /** Trains on the training part of each sequence (never validation or test items). */
  fit(ds: Dataset): Promise<void>;
  /**
   * Scores all items for each history: `histories.length` rows of `ds.items.length` scores,
   * row-major; higher is better. Rows depend only on their own history.
   */
  score(histories: readonly History[]): Promise<Float32Array>;
}
