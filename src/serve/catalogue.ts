import type { Item } from '../data/types.js';

/**
 * Every recommendable item: the dataset's (rows 0 .. trained-1, the rows every model scores) and
 * those added at run time after them. A catalogue never changes: `with` returns a new one, so a
 * request keeps the rows it was ranked against while an addition builds the next catalogue.
 */
export class Catalogue {
  private constructor(
    readonly items: readonly Item[],
    readonly itemIndex: ReadonlyMap<string, number>,
    /** How many leading items the dataset has; the rest were added at run time. */
    readonly trained: number,
  ) {}

  static of(items: readonly Item[]): Catalogue {
    return new Catalogue(items, new Map(items.map((it, i) => [it.id, i])), items.length);
  }

  get count(): number {
    return this.items.length;
  }

  /** The catalogue with these items: known ids are replaced in place, new ids appended; and their rows. */
  with(added: readonly Item[]): { catalogue: Catalogue; rows: number[]; added: number; updated: number } {
    const items = [...this.items];
    const byId = new Map(this.itemIndex);
    const rows: number[] = [];
    let updated = 0;
    for (const item of added) {
      let row = byId.get(item.id);
      if (row === undefined) {
        row = items.length;
        byId.set(item.id, row);
        items.push(item);
      } else {
        items[row] = item;
        updated++;
      }
      rows.push(row);
    }
    return { catalogue: new Catalogue(items, byId, this.trained), rows, added: added.length - updated, updated };
  }

  isAdded(row: number): boolean {
    return row >= this.trained;
  }
}
