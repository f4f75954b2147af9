import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, trainCounts, type Dataset } from '../data/dataset.js';
import type { Item } from '../data/types.js';
import { itemText, type HistoryEntry } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import { resolveHistory, type HistoryEntryOptionalTime } from '../rank/history-input.js';
import { FILES } from '../r2end/bundle.js';
import { R2ENDRecommender } from '../r2end/recommender.js';
import type { TrainingRecord } from '../r2end/record.js';
import { loadMatrix } from '../io/matrices.js';
import { UserError } from '../util/errors.js';
import { Explainer, type Explanation } from '../r2end/explanations.js';
import { ItemIndex } from './item-index.js';
import { ItemStore, type StoredItem } from './item-store.js';
import type { Metrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import { LIMITS, type ItemInput } from './schemas.js';

export interface ServiceOptions {
  model?: string;
  device?: string;
  /** Micro-batching: how long a lone request waits for company, and the largest batch. */
  windowMs?: number;
  maxBatch?: number;
  /** How many history vectors to keep for repeated histories (0: none). */
  cacheSize?: number;
}

export interface Recommended {
  item_id: string;
  title: string;
  score: number;
  explanations?: Explanation[];
}

interface Query {
  text: string;
  k: number;
  exclude: number[];
}

/** A ranking against one index snapshot (the rows are that snapshot's). */
interface Ranked {
  index: ItemIndex;
  rows: number[];
  scores: number[];
}

/**
 * What the HTTP layer serves: a trained R2END model, its item index with run-time additions,
 * explanations and the popularity baseline. Histories from concurrent requests share engine
 * batches; additions are encoded, projected and swapped in as a new index snapshot.
 */
export class RecommendationService {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly batcher: MicroBatcher<Query, Ranked>;
  /** z_u by history text, least recently used first: the student is fixed, so a text's vector never changes. */
  private readonly cache = new Map<string, Float32Array>();
  private readonly cacheSize: number;
  /** Training items by count, most popular first (lower index first among equals). */
  private popularOrder?: number[];

  private constructor(
    private readonly ws: Workspace,
    readonly ds: Dataset,
    private readonly rec: R2ENDRecommender,
    readonly record: TrainingRecord,
    private index: ItemIndex,
    private readonly store: ItemStore,
    private readonly explainer: Explainer | undefined,
    private readonly popularity: Int32Array,
    private readonly metrics: Metrics,
    options: ServiceOptions,
  ) {
    this.cacheSize = options.cacheSize ?? 10_000;
    this.batcher = new MicroBatcher((queries) => this.rank(queries), {
      windowMs: options.windowMs ?? 2,
      maxBatch: options.maxBatch ?? 64,
    });
  }

  static async open(ws: Workspace, metrics: Metrics, options: ServiceOptions = {}): Promise<RecommendationService> {
    const ds = loadDataset(ws);
    const rec = new R2ENDRecommender(ws, options.model ?? 'r2end', options.device ?? 'cpu');
    await rec.fit(ds);
    const record = rec.record;
    const { z, dim, matrix } = rec.index;
    const e = loadMatrix(join(rec.dir, FILES.items), 'e');
    const store = new ItemStore(ws, rec.name);
    const service = new RecommendationService(
      ws,
      ds,
      rec,
      record,
      ItemIndex.create(ds.items, z, dim, e.data, e.cols, matrix),
      store,
      Explainer.load(ws, ds, rec.dir, record),
      trainCounts(ds),
      metrics,
      options,
    );
    await service.restore();
    return service;
  }

  get model(): string {
    return this.rec.name;
  }

  get items(): ItemIndex {
    return this.index;
  }

  get explains(): boolean {
    return this.explainer !== undefined;
  }

  /** Top-k for a history of known items (also ones added at run time) and free text. */
  async recommend(
    input: readonly HistoryEntryOptionalTime[],
    k: number,
    excludeSeen: boolean,
    explain: boolean,
  ): Promise<Recommended[]> {
    const now = Date.now() / 1000;
    const withTimes = input.map((e) => ({ ...e, timestamp: e.timestamp ?? now }));
    const entries = resolveHistory(this.index, withTimes, (i) => `field "history.${i}"`);
    return this.recommendEntries(entries, k, excludeSeen, explain);
  }

  /** Top-k for a user of the dataset from their whole history (as `r2end recommend --user`). */
  async recommendUser(userId: string, k: number, excludeSeen: boolean, explain: boolean): Promise<Recommended[]> {
    const u = this.ds.userIndex.get(userId);
    if (u === undefined) throw new UserError(`user "${userId}" is not a user of this workspace`);
    const index = this.index;
    const entries = Array.from(this.ds.sequences[u], (row, p): HistoryEntry => ({
      item: index.items[row],
      timestamp: this.ds.times[u][p],
    }));
    return this.recommendEntries(entries, k, excludeSeen, explain);
  }

  private async recommendEntries(
    entries: HistoryEntry[],
    k: number,
    excludeSeen: boolean,
    explain: boolean,
  ): Promise<Recommended[]> {
    // Asked for now: the history is verbalised relative to its latest entry (as the CLI does).
    const time = Math.max(...entries.map((e) => e.timestamp));
    const text = this.rec.entriesText(entries, time);
    const exclude = excludeSeen
      ? entries.flatMap((e) => ('item' in e ? [this.index.itemIndex.get(e.item.id)!] : []))
      : [];
    const { index, rows, scores } = await this.batcher.submit({ text, k, exclude });
    const out: Recommended[] = rows.map((row, i) => ({
      item_id: index.items[row].id,
      title: index.items[row].title,
      score: scores[i],
    }));
    if (explain && this.explainer && rows.length) {
      const e = new Float32Array(rows.length * index.eDim);
      rows.forEach((row, i) => e.set(index.e.subarray(row * index.eDim, (row + 1) * index.eDim), i * index.eDim));
      const why = await this.explainer.explain(e, LIMITS.explanations);
      out.forEach((r, i) => (r.explanations = why[i]));
    }
    return out;
  }

  /** One engine batch: every history not seen lately encoded together, then top-k against the index. */
  private async rank(queries: Query[]): Promise<Ranked[]> {
    const index = this.index;
    const dim = index.zDim;
    const users = new Float32Array(queries.length * dim);
    const missing = queries
      .map((q, i) => [q.text, i] as const)
      .filter(([text, i]) => {
        const hit = this.cache.get(text);
        if (!hit) return true;
        this.cache.delete(text);
        this.cache.set(text, hit);
        users.set(hit, i * dim);
        return false;
      });
    this.metrics.cache(queries.length - missing.length, missing.length);
    if (missing.length) {
      const start = performance.now();
      // The encoder groups similar lengths and sizes its engine calls itself.
      const z = await this.rec.embed(missing.map(([text]) => text));
      this.metrics.batch(missing.length, (performance.now() - start) / 1000);
      missing.forEach(([text, i], j) => {
        const row = z.slice(j * dim, (j + 1) * dim);
        users.set(row, i * dim);
        if (this.cacheSize === 0) return;
        this.cache.set(text, row);
        if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      });
    }
    const k = Math.max(...queries.map((q) => q.k));
    const r = await index.zMatrix.topK(
      users,
      k,
      queries.map((q) => q.exclude),
    );
    return queries.map((q, i) => {
      const rows: number[] = [];
      const scores: number[] = [];
      for (let j = 0; j < q.k; j++) {
        const row = r.indices[i * k + j];
        if (row < 0) break;
        rows.push(row);
        scores.push(r.scores[i * k + j]);
      }
      return { index, rows, scores };
    });
  }

  /** The most popular items in training (the baseline the page compares with). */
  popular(k: number): Array<{ item_id: string; title: string; score: number }> {
    this.popularOrder ??= Array.from(this.popularity.keys())
      .sort((a, b) => this.popularity[b] - this.popularity[a] || a - b)
      .slice(0, LIMITS.k);
    return this.popularOrder.slice(0, k).map((i) => ({
      item_id: this.index.items[i].id,
      title: this.index.items[i].title,
      score: this.popularity[i],
    }));
  }

  /** Items whose title or id contains `q` (case-insensitive), in index order. */
  search(q: string, limit: number): Array<{ item_id: string; title: string; added: boolean }> {
    const needle = q.trim().toLowerCase();
    const out: Array<{ item_id: string; title: string; added: boolean }> = [];
    const items = this.index.items;
    for (let i = 0; i < items.length && out.length < limit; i++) {
      if (!needle || items[i].title.toLowerCase().includes(needle) || items[i].id.toLowerCase() === needle)
        out.push({ item_id: items[i].id, title: items[i].title, added: this.index.isAdded(i) });
    }
    return out;
  }

  /**
   * Adds or updates items without retraining: e_i with the frozen encoder, z_i through the
   * projection; persisted first, then live for the next request. Writes run one at a time.
   */
  addItems(inputs: readonly ItemInput[]): Promise<{ added: number; updated: number; index_size: number }> {
    const run = this.writes.then(async () => {
      const items: Item[] = inputs.map((it) => ({
        id: it.item_id,
        title: it.title,
        categories: it.categories,
        brand: it.brand,
        description: it.description,
      }));
      const stored = await this.embed(items);
      this.store.save(stored);
      const { index, added, updated } = this.index.with(stored);
      this.index = index;
      return { added, updated, index_size: index.count };
    });
    this.writes = run.catch(() => {});
    return run;
  }

  /** Run-time items saved by earlier runs; vectors of another training run are re-encoded. */
  private async restore(): Promise<void> {
    const saved = this.store.load();
    if (!saved.length) return;
    const stale = saved.filter((s) => s.fingerprint !== this.record.created);
    const fresh = await this.embed(stale.map((s) => s.item));
    if (fresh.length) this.store.save(fresh);
    const byId = new Map(fresh.map((s) => [s.item.id, s]));
    this.index = this.index.with(saved.map((s) => byId.get(s.item.id) ?? s)).index;
  }

  private async embed(items: Item[]): Promise<StoredItem[]> {
    if (!items.length) return [];
    const { e, z } = await this.rec.embedItems(items.map((it) => itemText(it, this.rec.info.verbalize.fields)));
    const eDim = e.length / items.length;
    const zDim = z.length / items.length;
    return items.map((item, i) => ({
      item,
      e: e.slice(i * eDim, (i + 1) * eDim),
      z: z.slice(i * zDim, (i + 1) * zDim),
      fingerprint: this.record.created,
    }));
  }

  /** The model card written beside the model (MODEL.md). */
  modelCard(): string {
    return readFileSync(join(this.rec.dir, 'MODEL.md'), 'utf8');
  }

  describe(): Record<string, string | number | boolean> {
    return {
      ...this.rec.describe(),
      name: this.rec.name,
      items: this.index.count,
      added: this.index.count - this.index.trained,
      users: this.ds.userIds.length,
      explanations: this.explains,
      workspace: this.ws.dir,
    };
  }
}
