import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { verbalizeHistory, type HistoryEntry } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { EngineEncoder } from '../encoder/engine-encoder.js';
import { loadEncoder } from '../encoder/load.js';
import type { EncodeOptions } from '../encoder/types.js';
import { ProjectionHead } from '../engine/projection.js';
import type { TrainConfig } from '../train/config.js';
import { trainR2END, type BundleInfo } from '../train/r2end.js';
import type { TrainingRecord } from '../train/record.js';
import { historyText } from '../train/texts.js';
import { loadMatrix, normalizeRows } from '../train/vectors.js';
import { UserError } from '../util/errors.js';
import { ItemScorer } from './item-scorer.js';
import type { History, Recommender } from './recommender.js';

/**
 * R2END at inference, with no LLM: history text -> student encoder -> projection -> cosine
 * against every precomputed item vector. Loads a model trained by `r2end train`.
 */
export class R2ENDRecommender implements Recommender {
  readonly scoresUnseenItems = true;
  private bundle?: BundleInfo;
  private record?: TrainingRecord;
  private encoder?: EngineEncoder;
  private pretrained?: EngineEncoder;
  private projection?: ProjectionHead;
  private scorer?: ItemScorer;
  private ds?: Dataset;

  /**
   * `train`: settings to train the model with in `fit` when the workspace has none of that
   * name yet (tests, the demo); without it `fit` only loads what `r2end train` made.
   */
  constructor(
    private readonly ws: Workspace,
    readonly name = 'r2end',
    private readonly device = 'cpu',
    private readonly train?: TrainConfig,
  ) {}

  get dir(): string {
    return this.ws.path('models', this.name);
  }

  /** The loaded bundle (verbalisation settings, dimensions); after `fit`. */
  get info(): BundleInfo {
    if (!this.bundle) throw new Error('R2ENDRecommender.info before fit');
    return this.bundle;
  }

  describe(): Record<string, string | number | boolean> {
    const r = this.record;
    return r
      ? {
          model: 'R2END',
          teacher: r.teacher.label,
          encoder: r.encoder,
          ablation: r.ablation,
          dataset: r.dataset,
          projection: this.bundle!.projection,
        }
      : { model: 'R2END (not loaded)' };
  }

  /** Loads the trained model, training it first when settings were given and none exists. */
  async fit(ds: Dataset): Promise<void> {
    const bundleFile = join(this.dir, 'bundle.json');
    if (this.train && !existsSync(bundleFile))
      await trainR2END(this.ws, ds, this.train, { name: this.name, log: () => {}, silent: true });
    if (!existsSync(bundleFile))
      throw new UserError(
        `no trained model "${this.name}" in ${this.ws.dir} (expected ${bundleFile}); run \`r2end train --work ${this.ws.dir}\``,
      );
    this.bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as BundleInfo;
    this.record = JSON.parse(readFileSync(join(this.dir, 'training.json'), 'utf8')) as TrainingRecord;
    if (this.bundle.items !== ds.items.length)
      throw new UserError(
        `model "${this.name}" was trained on ${this.bundle.items} items, the workspace has ${ds.items.length}; retrain it`,
      );
    const options = { maxTokens: this.bundle.maxTokens, device: this.device };
    this.encoder = loadEncoder(
      this.bundle.encoder === 'student' ? join(this.dir, 'student') : this.bundle.encoder,
      options,
    );
    if (this.bundle.projection)
      this.projection = ProjectionHead.load(join(this.dir, 'projection'), { device: this.device });
    const z = loadMatrix(join(this.dir, 'index.safetensors'), 'z');
    this.scorer = new ItemScorer(z.data, z.cols, this.device);
    this.ds = ds;
  }

  /** z_u for history texts: encode, project, normalise. */
  async embed(texts: string[], options?: EncodeOptions): Promise<Float32Array> {
    const e = await this.encoder!.encode(texts, options);
    const z = this.projection ? await this.projection.project(e) : e;
    return normalizeRows(z, this.scorer!.dim);
  }

  /**
   * Vectors of new item texts without retraining (cold-start items, serving): e_i from the
   * frozen pretrained encoder the index was built with, z_i = normalised f(e_i).
   */
  async embedItems(texts: string[]): Promise<{ e: Float32Array; z: Float32Array }> {
    this.pretrained ??= loadEncoder(this.record!.encoder, { maxTokens: this.bundle!.maxTokens, device: this.device });
    const e = await this.pretrained.encode(texts);
    const z = this.projection ? await this.projection.project(e) : Float32Array.from(e);
    return { e, z: normalizeRows(z, this.scorer!.dim) };
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    if (!this.scorer) throw new Error('R2ENDRecommender.score before fit');
    if (histories.length === 0) return new Float32Array(0);
    return this.scorer.score(await this.embed(histories.map((h) => historyText(this.ds!, h, this.bundle!.verbalize))));
  }

  /** Scores for a history given as entries (known items or free text), asked for at `time`. */
  async scoreEntries(entries: readonly HistoryEntry[], time: number): Promise<Float32Array> {
    if (!this.scorer) throw new Error('R2ENDRecommender.scoreEntries before fit');
    return this.scorer.score(await this.embed([verbalizeHistory(entries, time, this.bundle!.verbalize)]));
  }
}
