import { join } from 'node:path';
import { checkTrainedOn, type Dataset } from '../data/dataset.js';
import { verbalizeHistory, type HistoryEntry } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { EngineEncoder } from '../encoder/engine-encoder.js';
import { loadEncoder } from '../encoder/load.js';
import type { EncodeOptions } from '../encoder/types.js';
import { ProjectionHead } from '../engine/projection.js';
import { ItemMatrix } from '../engine/topk.js';
import { loadMatrix } from '../io/matrices.js';
import { resolvePublished } from '../io/publish.js';
import type { History, Recommender } from '../rank/recommender.js';
import { FILES, readBundle, type BundleInfo } from './bundle.js';
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
}

/**
 * R2END at inference, with no LLM: history text -> student encoder -> projection -> cosine
 * against every precomputed item vector. Loads a model trained by `r2end train`; it never trains.
 */
export class R2ENDRecommender implements Recommender {
  readonly scoresUnseenItems = true;
  private loaded?: Loaded;
  private pretrained?: EngineEncoder;

  constructor(
    private readonly ws: Workspace,
    readonly name = 'r2end',
    private readonly device = 'cpu',
  ) {}

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

  /** H_u of a history given as entries (known items or free text), asked for at `time`. */
  entriesText(entries: readonly HistoryEntry[], time: number): string {
    return verbalizeHistory(entries, time, this.model.bundle.verbalize);
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    const m = this.model;
    if (histories.length === 0) return new Float32Array(0);
    return m.matrix.scores(await this.embed(histories.map((h) => historyText(m.ds, h, m.bundle.verbalize))));
  }
}
