import { trainCounts, type Dataset } from '../data/dataset.js';
import type { History, Recommender } from '../rank/recommender.js';

/** Most popular: every user gets the items ranked by how often they occur in training. */
export class PopRecommender implements Recommender {
  readonly name = 'pop';
  private counts = new Float32Array(0);

  describe() {
    return { model: 'most popular (training counts)' };
  }

  async fit(ds: Dataset): Promise<void> {
    this.counts = Float32Array.from(trainCounts(ds));
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    const n = this.counts.length;
    const out = new Float32Array(histories.length * n);
    for (let r = 0; r < histories.length; r++) out.set(this.counts, r * n);
    return out;
  }
}
