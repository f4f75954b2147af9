/** Item metadata as the pipeline uses it (the plain dataset format's fields). */
export interface Item {
  id: string;
  title: string;
  /** Category paths, most general first, e.g. [["Beauty", "Makeup", "Nails"]]. */
  categories: string[][];
  brand: string | null;
  description: string | null;
}

/** One interaction as read from a source file, before filtering and splitting. */
export interface RawInteraction {
  userId: string;
  itemId: string;
  /** Unix seconds, UTC. */
  timestamp: number;
  rating: number | null;
  review: string | null;
}

export type Split = 'train' | 'valid' | 'test';
export type EvalSplit = 'valid' | 'test';
