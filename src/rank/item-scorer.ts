import { createModel, matrix, type NativeModel } from '../engine/native.js';

/**
 * Scores queries against every item in the engine: a linear map whose weight rows are the
 * (normalised) item vectors, so one engine call turns [B, d] queries into [B, items] scores.
 */
export class ItemScorer {
  private readonly model: NativeModel;

  constructor(
    readonly items: Float32Array,
    readonly dim: number,
    device = 'cpu',
  ) {
    const count = items.length / dim;
    this.model = createModel(
      'projection',
      { inDim: dim, outDim: count, temperature: 1, regularization: 0 },
      { weight: matrix(items, count, dim, 'item matrix'), bias: { data: new Float32Array(count), shape: [count] } },
      { device },
      'item index',
    );
  }

  get count(): number {
    return this.items.length / this.dim;
  }

  /** queries [B, dim] row-major -> scores [B, items]. */
  async score(queries: Float32Array): Promise<Float32Array> {
    const rows = queries.length / this.dim;
    if (rows === 0) return new Float32Array(0);
    const out = await this.model.infer({ x: matrix(queries, rows, this.dim, 'queries') });
    return out.data instanceof Float32Array ? out.data : Float32Array.from(out.data);
  }
}
