import type { Item } from '../data/types.js';
import { ItemMatrix } from '../engine/topk.js';

/**
 * Every recommendable item with its vectors: the trained index plus items added at run time.
 * A snapshot never changes: `with` returns a new one, so a batch in the engine keeps reading
 * the matrices it started with while an addition builds the next snapshot.
 */
export class ItemIndex {
  private constructor(
    readonly items: readonly Item[],
    readonly itemIndex: ReadonlyMap<string, number>,
    /** z_i rows [count, zDim], normalised: what recommendations rank by. */
    readonly z: Float32Array,
    readonly zDim: number,
    /** e_i rows [count, eDim] from the frozen encoder: what explanations compare. */
    readonly e: Float32Array,
    readonly eDim: number,
    /** How many leading items the trained model knows; the rest were added at run time. */
    readonly trained: number,
  ) {}

  private ranker?: ItemMatrix;
  /** z held in the engine for top-K by dot product (made on first use, once per snapshot). */
  get zMatrix(): ItemMatrix {
    this.ranker ??= new ItemMatrix(this.z, this.zDim, { metric: 'dot' });
    return this.ranker;
  }

  /** The trained snapshot; `ranker` is the model's own engine copy of z, so it is not held twice. */
  static create(
    items: readonly Item[],
    z: Float32Array,
    zDim: number,
    e: Float32Array,
    eDim: number,
    ranker?: ItemMatrix,
  ): ItemIndex {
    const index = new ItemIndex(items, new Map(items.map((it, i) => [it.id, i])), z, zDim, e, eDim, items.length);
    index.ranker = ranker;
    return index;
  }

  get count(): number {
    return this.items.length;
  }

  /** Items with their new vectors: known ids are replaced in place, new ids appended. */
  with(added: ReadonlyArray<{ item: Item; e: Float32Array; z: Float32Array }>): {
    index: ItemIndex;
    added: number;
    updated: number;
  } {
    const items = [...this.items];
    const byId = new Map(this.itemIndex);
    const rows: number[] = [];
    let updated = 0;
    for (const a of added) {
      let row = byId.get(a.item.id);
      if (row === undefined) {
        row = items.length;
        byId.set(a.item.id, row);
        items.push(a.item);
      } else {
        items[row] = a.item;
        updated++;
      }
      rows.push(row);
    }
    const z = grow(this.z, items.length * this.zDim);
    const e = grow(this.e, items.length * this.eDim);
    added.forEach((a, i) => {
      z.set(a.z, rows[i] * this.zDim);
      e.set(a.e, rows[i] * this.eDim);
    });
    const index = new ItemIndex(items, byId, z, this.zDim, e, this.eDim, this.trained);
    return { index, added: added.length - updated, updated };
  }

  isAdded(row: number): boolean {
    return row >= this.trained;
  }
}

function grow(a: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(a);
  return out;
}
