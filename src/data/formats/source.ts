import type { Item, RawInteraction } from '../types.js';

/** An interaction with the line it came from, so later checks can name it. */
export interface SourceRow extends RawInteraction {
  line: number;
}

export interface SourceItem {
  item: Item;
  line: number;
}

/**
 * A dataset on disk in one of the supported formats: a stream of interactions in file order
 * and a stream of item metadata records. Both are read lazily, line by line.
 */
export interface DataSource {
  format: SourceFormat;
  interactionsFile: string;
  itemsFile: string;
  rows(): AsyncIterable<SourceRow>;
  items(): AsyncIterable<SourceItem>;
}

export type SourceFormat = 'plain' | 'amazon' | 'yelp';
