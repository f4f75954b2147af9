import { check } from '../util/errors.js';
import { engine, matrix, type NativeItemMatrix } from './native.js';

export interface TopKOptions {
  /** Per query, item indices that must not be returned (e.g. its history). */
  exclude?: ReadonlyArray<ReadonlyArray<number>>;
  /** cosine (default) normalises rows first; dot uses them as they are. */
  metric?: 'cosine' | 'dot';
  device?: string;
}

export interface TopKResult {
  k: number;
  /** [Q,k] row-major item indices, best first; -1 pads rows with fewer than k candidates. */
  indices: Int32Array;
  /** [Q,k] matching scores (-Infinity for padding). */
  scores: Float32Array;
}

/**
 * Items held in the engine for top-K: copied in and prepared (normalised for cosine, transposed)
 * once, so ranking many batches against the same items costs one GEMM per batch. Equal scores
 * rank the lower item index first; work runs off the event loop.
 */
export class ItemMatrix {
  private readonly native: NativeItemMatrix;
  readonly count: number;

  constructor(
    items: Float32Array,
    readonly dim: number,
    options: Pick<TopKOptions, 'metric' | 'device'> = {},
  ) {
    check(Number.isInteger(dim) && dim > 0, `topK: dim must be a positive integer, got ${dim}`);
    this.count = items.length / dim;
    check(Number.isInteger(this.count), `topK: the item array must hold whole rows of ${dim}`);
    this.native = new (engine().ItemMatrix)(matrix(items, this.count, dim, 'topK items'), {
      metric: options.metric ?? 'cosine',
      device: options.device,
    });
  }

  /** Every item's score for each query: queries [Q,dim] -> scores [Q,count], row-major. */
  async scores(queries: Float32Array): Promise<Float32Array> {
    const q = this.rows(queries);
    if (q === 0) return new Float32Array(0);
    return (await this.native.scores(matrix(queries, q, this.dim, 'queries'))).data as Float32Array;
  }

  private rows(queries: Float32Array): number {
    const q = queries.length / this.dim;
    check(Number.isInteger(q), `topK: the query array must hold whole rows of ${this.dim}`);
    return q;
  }

  /** The k best items for each query (queries [Q,dim] row-major). */
  async topK(
    queries: Float32Array,
    k: number,
    exclude: ReadonlyArray<ReadonlyArray<number>> = [],
  ): Promise<TopKResult> {
    check(Number.isInteger(k) && k > 0, `topK: k must be a positive integer, got ${k}`);
    const q = this.rows(queries);
    check(exclude.length === 0 || exclude.length === q, `topK: exclude has ${exclude.length} lists for ${q} queries`);
    const offsets = new Int32Array(q + 1);
    let total = 0;
    for (let i = 0; i < exclude.length; i++) total += exclude[i].length;
    const flat = new Int32Array(total);
    let at = 0;
    for (let i = 0; i < q; i++) {
      for (const item of exclude[i] ?? []) {
        check(
          Number.isInteger(item) && item >= 0 && item < this.count,
          `topK: excluded item ${item} of query ${i} is not in [0, ${this.count})`,
        );
        flat[at++] = item;
      }
      offsets[i + 1] = at;
    }
    const result = await this.native.topK(matrix(queries, q, this.dim, 'topK queries'), k, {
      offsets: { data: offsets, shape: [q + 1] },
      indices: { data: flat, shape: [total] },
    });
    return { k, indices: result.indices.data as Int32Array, scores: result.scores.data as Float32Array };
  }
}

/** One-off top-K (queries [Q,dim], items [I,dim], row-major): an ItemMatrix used once. */
export function topK(
  queries: Float32Array,
  items: Float32Array,
  dim: number,
  k: number,
  options: TopKOptions = {},
): Promise<TopKResult> {
  return new ItemMatrix(items, dim, options).topK(queries, k, options.exclude);
}
