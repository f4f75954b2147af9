import type { Item, RawInteraction } from '../types.js';

/** An interaction with the line it came from, so later checks can name it. */
export interface SourceRow extends RawInteraction {
  line: number;
}

export interface SourceItem {
  item: Item;
  line: number;
}

/** A file of item records, read lazily. */
export interface ItemFile {
  file: string;
  read(): AsyncIterable<SourceItem>;
}

/**
 * A dataset on disk in one of the supported formats: a stream of interactions in file order
 * and a stream of item metadata records. Both are read lazily, line by line.
 */
export interface DataSource {
  format: SourceFormat;
  interactionsFile: string;
  /** null: the dataset has no item file, and its items are known by their ids only. */
  items: ItemFile | null;
  rows(): AsyncIterable<SourceRow>;
  /** What reading noticed that the report must say (fields not read, a fallback encoding); filled while reading. */
  notes: string[];
}

export const SOURCE_FORMATS = ['plain', 'amazon', 'amazon2023', 'yelp', 'recbole', 'movielens', 'csv'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];
