import { join } from 'node:path';
import { checkTrainedOn, type Dataset } from '../data/dataset.js';
import type { Item } from '../data/types.js';
import { itemText, verbalizeHistory } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { EngineEncoder } from '../encoder/engine-encoder.js';
import { loadEncoder } from '../encoder/load.js';
import type { EncodeOptions } from '../encoder/types.js';
import { ProjectionHead } from '../engine/projection.js';
import { ItemMatrix } from '../engine/topk.js';
import { loadMatrix } from '../io/matrices.js';
import { resolvePublished } from '../io/publish.js';
import type { History, ItemExplanation, Ranking, Recommender } from '../rank/recommender.js';
import { FILES, readBundle, type BundleInfo } from './bundle.js';
import { Explainer } from './explanations.js';
import type { TrainingRecord } from './record.js';
import { historyText } from './texts.js';
import { normalizeRows } from './vectors.js';

/** What `fit` loads: everything inference needs, read once. */
interface Loaded {
  /** The published version folder every file was read from. */
  dir: string;
  ds: Dataset;
  bundle: BundleInfo;
  record: TrainingRecord;
  encoder: EngineEncoder;
  projection?: ProjectionHead;
  /** Normalised z_i rows [items, dim] and the same rows held in the engine for scoring and top-K. */
  z: Float32Array;
  matrix: ItemMatrix;
  /** e_i rows from the frozen encoder (what explanations compare), loaded on first use. */
  e?: Float32Array;
}

/** Online use: a cache of history vectors and a report of each encoder call. */
export interface R2ENDOptions {
  device?: string;
  /** History vectors kept by text (least recently used dropped); 0: none. */
  cacheSize?: number;
  observer?: EncodeObserver;
}

export interface EncodeObserver {
  /** Histories whose vector came from the cache, and those sent to the encoder. */
  cache(hits: number, misses: number): void;
  /** One encoder call: how many histories, how long. */
  batch(size: number, seconds: number): void;
}

/**
 * R2END at inference, with no LLM: history text -> student encoder -> projection -> cosine
 * against every precomputed item vector. Loads a model trained by `r2end train`; it never trains.
 */
export class R2ENDRecommender implements Recommender {
  readonly scoresUnseenItems = true;
  private loaded?: Loaded;
  private pretrained?: EngineEncoder;
  private explainer?: Explainer | null;
  /** z_u by history text, least recently used first: the student is fixed, so a text's vector never changes. */
  private readonly cache = new Map<string, Float32Array>();
  private readonly device: string;

  constructor(
    private readonly ws: Workspace,
    readonly name = 'r2end',
    private readonly options: R2ENDOptions = {},
  ) {
    this.device = options.device ?? 'cpu';
  }

  /** The version folder `fit` loaded (before fit: where the model is published). */
  get dir(): string {
    return this.loaded?.dir ?? this.ws.path('models', this.name);
  }

  private get model(): Loaded {
    if (!this.loaded) throw new Error(`R2ENDRecommender ${this.name} used before fit`);
    return this.loaded;
  }

  /** The loaded bundle (verbalisation settings, dimensions). */
  get info(): BundleInfo {
    return this.model.bundle;
  }

  /** The training record (training.json). */
  get record(): TrainingRecord {
    return this.model.record;
  }

  /** The item index: normalised z_i rows and the engine matrix that ranks them. */
  get index(): { z: Float32Array; dim: number; matrix: ItemMatrix } {
    return { z: this.model.z, dim: this.model.bundle.dim, matrix: this.model.matrix };
  }

  describe(): Record<string, string | number | boolean> {
    if (!this.loaded) return { model: 'R2END (not loaded)' };
    const r = this.loaded.record;
    return {
      model: 'R2END',
      teacher: r.teacher.label,
      encoder: r.encoder,
      ablation: r.ablation,
      dataset: r.dataset,
      projection: this.loaded.bundle.projection,
    };
  }

  /** Loads the trained model (`r2end train` makes it). */
  async fit(ds: Dataset): Promise<void> {
    // Resolved once: a training that publishes meanwhile cannot mix its files into this load.
    const dir = resolvePublished(this.ws, this.name) ?? this.dir;
    const { bundle, record } = readBundle(dir, this.name, this.ws.dir);
    const retrain = `\`r2end train --work ${this.ws.dir}${this.name === 'r2end' ? '' : ` --name ${this.name}`}${record.ablation === 'none' ? '' : ` --ablation ${record.ablation}`}\``;
    checkTrainedOn(ds, this.name, bundle.fingerprint, retrain);
    this.cache.clear();
    this.explainer = undefined;
    const options = { maxTokens: bundle.maxTokens, device: this.device };
    const encoder = loadEncoder(bundle.encoder === 'student' ? join(dir, FILES.student) : bundle.encoder, options);
    const projection = bundle.projection
      ? ProjectionHead.load(join(dir, FILES.projection), { device: this.device })
      : undefined;
    const z = loadMatrix(join(dir, FILES.index), 'z');
    // The rows are normalised already, so the dot product is the cosine.
    const matrix = new ItemMatrix(z.data, z.cols, { metric: 'dot', device: this.device });
    this.loaded = { dir, ds, bundle, record, encoder, projection, z: z.data, matrix };
  }

  /** z_u for history texts: encode, project, normalise. */
  async embed(texts: string[], options?: EncodeOptions): Promise<Float32Array> {
    const m = this.model;
    const e = await m.encoder.encode(texts, options);
    const z = m.projection ? await m.projection.project(e) : e;
    return normalizeRows(z, m.bundle.dim);
  }

  /** embed() through the cache of history vectors (online: returning users cost no encoder pass). */
  private async embedCached(texts: string[]): Promise<Float32Array> {
    const size = this.options.cacheSize ?? 0;
    const dim = this.model.bundle.dim;
    const out = new Float32Array(texts.length * dim);
    const missing: number[] = [];
    texts.forEach((text, i) => {
      const hit = size > 0 ? this.cache.get(text) : undefined;
      if (!hit) return void missing.push(i);
      this.cache.delete(text);
      this.cache.set(text, hit);
      out.set(hit, i * dim);
    });
    this.options.observer?.cache(texts.length - missing.length, missing.length);
    if (missing.length === 0) return out;
    const start = performance.now();
    // The encoder groups similar lengths and sizes its engine calls itself.
    const z = await this.embed(missing.map((i) => texts[i]));
    this.options.observer?.batch(missing.length, (performance.now() - start) / 1000);
    missing.forEach((i, j) => {
      const row = z.slice(j * dim, (j + 1) * dim);
      out.set(row, i * dim);
      if (size === 0) return;
      this.cache.set(texts[i], row);
      if (this.cache.size > size) this.cache.delete(this.cache.keys().next().value!);
    });
    return out;
  }

  /** H_u of a history: its entries when it has them (online), else its dataset items. */
  historyText(h: History): string {
    const m = this.model;
    if (!h.entries) return historyText(m.ds, h, m.bundle.verbalize);
    const time = h.time ?? (h.entries.length ? h.entries[h.entries.length - 1].timestamp : 0);
    return verbalizeHistory(h.entries, time, m.bundle.verbalize);
  }

  /**
   * Vectors of new item texts without retraining (cold-start items, serving): e_i from the
   * frozen pretrained encoder the index was built with, z_i = normalised f(e_i).
   */
  async embedItems(texts: string[]): Promise<{ e: Float32Array; z: Float32Array }> {
    const m = this.model;
    this.pretrained ??= loadEncoder(m.record.encoder, { maxTokens: m.bundle.maxTokens, device: this.device });
    const e = await this.pretrained.encode(texts);
    const z = m.projection ? await m.projection.project(e) : Float32Array.from(e);
    return { e, z: normalizeRows(z, m.bundle.dim) };
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    if (histories.length === 0) return new Float32Array(0);
    return this.model.matrix.scores(await this.queries(histories));
  }

  /** score()'s ranking done in the engine: one GEMM per chunk of histories, no score row copied out. */
  async topK(
    histories: readonly History[],
    k: number,
    exclude: ReadonlyArray<ReadonlyArray<number>>,
  ): Promise<Ranking[]> {
    if (histories.length === 0) return [];
    const top = await this.model.matrix.topK(await this.queries(histories), k, exclude);
    return histories.map((_, q) => {
      const rows: number[] = [];
      const scores: number[] = [];
      for (let i = q * k; i < (q + 1) * k && top.indices[i] >= 0; i++) {
        rows.push(top.indices[i]);
        scores.push(top.scores[i]);
      }
      return { rows, scores };
    });
  }

  /** z_u of each history (through the cache of history vectors). */
  private queries(histories: readonly History[]): Promise<Float32Array> {
    return this.embedCached(histories.map((h) => this.historyText(h)));
  }

  /** New or changed items: e_i and z_i from their text, then one new engine matrix with every row. */
  async addItems(items: ReadonlyArray<{ row: number; item: Item }>): Promise<void> {
    if (items.length === 0) return;
    const m = this.model;
    const { e, dim: eDim } = this.itemVectors();
    const vectors = await this.embedItems(items.map(({ item }) => itemText(item, m.bundle.verbalize.fields)));
    const rows = Math.max(m.z.length / m.bundle.dim, ...items.map(({ row }) => row + 1));
    const z = grow(m.z, rows * m.bundle.dim);
    const grown = grow(e, rows * eDim);
    items.forEach(({ row }, i) => {
      z.set(vectors.z.subarray(i * m.bundle.dim, (i + 1) * m.bundle.dim), row * m.bundle.dim);
      grown.set(vectors.e.subarray(i * eDim, (i + 1) * eDim), row * eDim);
    });
    this.loaded = {
      ...m,
      z,
      e: grown,
      matrix: new ItemMatrix(z, m.bundle.dim, { metric: 'dot', device: this.device }),
    };
  }

  /** e_i rows of every item (the frozen encoder's, before the projection), one row per z_i row. */
  private itemVectors(): { e: Float32Array; dim: number } {
    const m = this.model;
    m.e ??= loadMatrix(join(this.dir, FILES.items), 'e').data;
    return { e: m.e, dim: m.e.length / (m.z.length / m.bundle.dim) };
  }

  /**
   * The training users' reasoning texts nearest to each item in the frozen encoder's space
   * (none for a model trained without reasoning).
   */
  async explain(_history: History, rows: readonly number[]): Promise<ItemExplanation[]> {
    const m = this.model;
    if (this.explainer === undefined) this.explainer = Explainer.load(this.ws, m.ds, this.dir, m.record) ?? null;
    if (!this.explainer || rows.length === 0) return rows.map(() => ({}));
    const { e, dim: eDim } = this.itemVectors();
    const picked = new Float32Array(rows.length * eDim);
    rows.forEach((row, i) => picked.set(e.subarray(row * eDim, (row + 1) * eDim), i * eDim));
    const why = await this.explainer.explain(picked, REASONING_PER_ITEM);
    return why.map((reasoning) => ({ reasoning }));
  }
}

/** Reasoning texts given per recommended item. */
export const REASONING_PER_ITEM = 3;

function grow(a: Float32Array, length: number): Float32Array {
  if (length === a.length) return Float32Array.from(a);
  const out = new Float32Array(length);
  out.set(a);
  return out;
}
