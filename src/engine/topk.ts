import { check } from '../util/errors.js';
import { engine, matrix } from './native.js';

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
 * The k best items for each query (queries [Q,dim], items [I,dim], row-major), computed in the
 * engine off the event loop. Equal scores rank the lower item index first.
 */
export async function topK(queries: Float32Array, items: Float32Array, dim: number, k: number, options: TopKOptions = {}): Promise<TopKResult> {
  check(Number.isInteger(dim) && dim > 0, `topK: dim must be a positive integer, got ${dim}`);
  check(Number.isInteger(k) && k > 0, `topK: k must be a positive integer, got ${k}`);
  const q = queries.length / dim;
  const count = items.length / dim;
  check(Number.isInteger(q) && Number.isInteger(count), `topK: query and item arrays must hold whole rows of ${dim}`);
  const exclude = options.exclude ?? [];
  check(exclude.length === 0 || exclude.length === q, `topK: exclude has ${exclude.length} lists for ${q} queries`);
  const offsets = new Int32Array(q + 1);
  let total = 0;
  for (let i = 0; i < exclude.length; i++) total += exclude[i].length;
  const flat = new Int32Array(total);
  let at = 0;
  for (let i = 0; i < q; i++) {
    for (const item of exclude[i] ?? []) {
      check(Number.isInteger(item) && item >= 0 && item < count, `topK: excluded item ${item} of query ${i} is not in [0, ${count})`);
      flat[at++] = item;
    }
    offsets[i + 1] = at;
  }
  const result = await engine().topK(
    matrix(queries, q, dim, 'topK queries'),
    matrix(items, count, dim, 'topK items'),
    k,
    { offsets: { data: offsets, shape: [q + 1] }, indices: { data: flat, shape: [total] } },
    { metric: options.metric ?? 'cosine', device: options.device },
  );
  return { k, indices: result.indices.data as Int32Array, scores: result.scores.data as Float32Array };
}
