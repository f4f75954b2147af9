import type { Dataset } from '../data/dataset.js';
import type { Item } from '../data/types.js';
import type { HistoryEntry } from '../data/verbalize.js';

/** A user's history as the recommender sees it: item indices and times, oldest first. */
export interface History {
  /** Items of the dataset only (indices below ds.items.length): what ID-based models read. */
  items: Int32Array;
  times: Float64Array;
  /**
   * When the recommendation is asked for (Unix seconds): in offline evaluation the held-out
   * item's time, at serving time now. Text models verbalise the history relative to it.
   */
  time?: number;
  /**
   * Online only: the whole history as it was given, oldest first, with free-text entries and
   * items added at run time. Text models read these instead of `items`; ID models ignore them.
   */
  entries?: readonly HistoryEntry[];
}

/** The best rows of one history, best first, and their scores. */
export interface Ranking {
  rows: number[];
  scores: number[];
}

/** Why an item was recommended, in the terms of the model that scored it. */
export interface ItemExplanation {
  /** Training users' reasoning texts nearest to the item (R2END). */
  reasoning?: Array<{ user_id: string; similarity: number; text: string }>;
  /** A hybrid's parts: each part's standardised score, its weight, and their product. */
  parts?: Array<{ name: string; weight: number; score: number; contribution: number }>;
  /** History items (dataset indices) that contributed most to the score, with their share (item kNN). */
  neighbours?: Array<{ item: number; score: number }>;
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
  /**
   * Models that hold their item vectors in the engine (R2END's ItemMatrix): the `k` best rows of
   * each history's score() row, best first, ranked in the engine (equal scores: lower row first),
   * so no row of scores crosses into JavaScript. `exclude[i]` lists rows history i must not get;
   * a history with fewer than k rows left gets fewer.
   */
  topK?(histories: readonly History[], k: number, exclude: ReadonlyArray<ReadonlyArray<number>>): Promise<Ranking[]>;
  /**
   * Content models only: items added at run time (without retraining), placed at `row` (rows
   * from ds.items.length on are new; a lower row replaces that item's content). Later score()
   * rows cover every row given. ID models leave it unset: their rows stay ds.items.length wide.
   */
  addItems?(items: ReadonlyArray<{ row: number; item: Item }>): Promise<void>;
  /** Explanations of `rows` (item rows) recommended for one history. */
  explain?(history: History, rows: readonly number[]): Promise<ItemExplanation[]>;
}
