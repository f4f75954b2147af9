import { trainCounts, type Dataset } from '../data/dataset.js';
import type { History, ItemExplanation, Recommender } from '../rank/recommender.js';

export interface ItemKnnOptions {
  /** Co-occurrences count between items at most this many positions apart in a sequence. */
  window: number;
  /** Neighbours kept per item. */
  neighbours: number;
  /** How many of the most recent history items vote, and the weight decay per step back. */
  recent: number;
  decay: number;
}

const DEFAULTS: ItemKnnOptions = { window: 3, neighbours: 100, recent: 10, decay: 0.7 };

/**
 * Item-to-item nearest neighbours: cosine similarity of items that occur close together in
 * users' training sequences (forward neighbours weigh more, as the next item matters most).
 * A user's scores are the recency-weighted similarities to their last items; popularity,
 * scaled far below any similarity, only orders items no neighbour reaches.
 */
export class ItemKnnRecommender implements Recommender {
  readonly name = 'itemknn';
  private readonly opts: ItemKnnOptions;
  private nItems = 0;
  private offsets = new Int32Array(0);
  private neighbours = new Int32Array(0);
  private sims = new Float32Array(0);
  private prior = new Float32Array(0);

  constructor(opts: Partial<ItemKnnOptions> = {}) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  describe() {
    return { model: 'item kNN (sequence-window co-occurrence cosine)', ...this.opts };
  }

  async fit(ds: Dataset): Promise<void> {
    const n = (this.nItems = ds.items.length);
    const counts = trainCounts(ds);
    const pairs: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
    for (let u = 0; u < ds.sequences.length; u++) {
      const seq = ds.sequences[u];
      const len = seq.length - 2;
      for (let p = 0; p < len; p++) {
        for (let d = 1; d <= this.opts.window && p + d < len; d++) {
          const a = seq[p];
          const b = seq[p + d];
          if (a === b) continue;
          // a -> b is what a next-item model needs; b -> a still says they belong together.
          pairs[a].set(b, (pairs[a].get(b) ?? 0) + 1 / d);
          pairs[b].set(a, (pairs[b].get(a) ?? 0) + 0.5 / d);
        }
      }
    }
    const offsets = new Int32Array(n + 1);
    const nb: number[] = [];
    const sim: number[] = [];
    for (let a = 0; a < n; a++) {
      const row = [...pairs[a]].map(([b, c]) => [b, c / Math.sqrt(counts[a] * counts[b])] as const);
      row.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
      for (const [b, s] of row.slice(0, this.opts.neighbours)) {
        nb.push(b);
        sim.push(s);
      }
      offsets[a + 1] = nb.length;
    }
    this.offsets = offsets;
    this.neighbours = Int32Array.from(nb);
    this.sims = Float32Array.from(sim);
    const max = Math.max(1, ...counts);
    this.prior = Float32Array.from(counts, (c) => (1e-6 * c) / max);
  }

  /** The history items whose neighbours reach each item, largest share of its score first. */
  async explain(h: History, rows: readonly number[]): Promise<ItemExplanation[]> {
    return rows.map((row) => {
      const votes: Array<{ item: number; score: number }> = [];
      this.recent(h, (a, w) => {
        for (let e = this.offsets[a]; e < this.offsets[a + 1]; e++)
          if (this.neighbours[e] === row) votes.push({ item: a, score: w * this.sims[e] });
      });
      votes.sort((x, y) => y.score - x.score || x.item - y.item);
      return { neighbours: votes.slice(0, 3) };
    });
  }

  /** Calls `visit` for each voting history item, newest first, with its recency weight. */
  private recent(h: History, visit: (item: number, weight: number) => void): void {
    let w = 1;
    for (let p = h.items.length - 1; p >= 0 && p >= h.items.length - this.opts.recent; p--, w *= this.opts.decay)
      visit(h.items[p], w);
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    const n = this.nItems;
    const out = new Float32Array(histories.length * n);
    histories.forEach((h, r) => {
      const row = out.subarray(r * n, (r + 1) * n);
      row.set(this.prior);
      this.recent(h, (a, w) => {
        for (let e = this.offsets[a]; e < this.offsets[a + 1]; e++) row[this.neighbours[e]] += w * this.sims[e];
      });
    });
    return out;
  }
}
