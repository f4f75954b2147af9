/**
 * The R2END projection head f (Linear inDim -> outDim, shared by users and items), trained with
 * InfoNCE over cosine / temperature with sampled negatives plus the norm regulariser of paper
 * eq. 7-9. The item matrix is handed to the engine once; a step ships only user vectors and
 * item indices. Saved as projection.safetensors (weight [out,in], bias [out]) + projection.json.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { writeAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import {
  createModel,
  createTrainer,
  matrix,
  type ModelOptions,
  type NativeModel,
  type NativeTrainer,
  type TrainerOptions,
} from './native.js';
import { Random } from './random.js';

export interface ProjectionConfig {
  inDim: number;
  outDim: number;
  /** InfoNCE temperature tau (paper: 0.07). */
  temperature: number;
  /** lambda of the norm regulariser (paper: 0.5). */
  regularization: number;
}

/** Where the head runs and in which compute precision. */
type HeadOptions = Pick<ModelOptions, 'device' | 'precision'>;

export class ProjectionHead {
  private items = 0;

  private constructor(
    readonly config: ProjectionConfig,
    /** Low-level access to the engine model. */
    readonly model: NativeModel,
  ) {}

  /** A new head, initialised like torch.nn.Linear (uniform in +-1/sqrt(inDim)) from a seed. */
  static create(
    config: Partial<ProjectionConfig> & Pick<ProjectionConfig, 'inDim' | 'outDim'>,
    options: HeadOptions & { seed?: number } = {},
  ): ProjectionHead {
    const full: ProjectionConfig = { temperature: 0.07, regularization: 0.5, ...config };
    for (const key of ['inDim', 'outDim'] as const)
      check(
        Number.isInteger(full[key]) && full[key] > 0,
        `projection ${key} must be a positive integer, got ${full[key]}`,
      );
    const random = new Random(options.seed ?? 0);
    const bound = 1 / Math.sqrt(full.inDim);
    const tensors = new Map<string, NamedTensor>([
      ['weight', { shape: [full.outDim, full.inDim], data: random.uniforms(full.outDim * full.inDim, -bound, bound) }],
      ['bias', { shape: [full.outDim], data: random.uniforms(full.outDim, -bound, bound) }],
    ]);
    return ProjectionHead.fromTensors(full, tensors, options, 'projection');
  }

  static load(dir: string, options: HeadOptions = {}): ProjectionHead {
    const configPath = join(dir, 'projection.json');
    const config = readJsonFile<ProjectionConfig>(configPath, 'a saved projection head');
    const weightsPath = join(dir, 'projection.safetensors');
    return ProjectionHead.fromTensors(config, readSafetensors(weightsPath), options, weightsPath);
  }

  private static fromTensors(
    config: ProjectionConfig,
    tensors: Map<string, NamedTensor>,
    options: HeadOptions,
    source: string,
  ): ProjectionHead {
    const numeric = {
      inDim: config.inDim,
      outDim: config.outDim,
      temperature: config.temperature,
      regularization: config.regularization,
    };
    return new ProjectionHead(
      config,
      createModel(
        'projection',
        numeric,
        Object.fromEntries(tensors),
        { device: options.device, precision: options.precision },
        source,
      ),
    );
  }

  /** The item matrix [I, inDim] that positives and negatives index into. */
  setItems(items: Float32Array): void {
    const count = items.length / this.config.inDim;
    check(Number.isInteger(count) && count > 0, `items must hold whole rows of ${this.config.inDim}`);
    this.model.setData('items', matrix(items, count, this.config.inDim, 'items'));
    this.items = count;
  }

  /** f(x) for rows x [n, inDim] -> [n, outDim]. */
  async project(x: Float32Array): Promise<Float32Array> {
    const rows = x.length / this.config.inDim;
    check(Number.isInteger(rows), `project: input must hold whole rows of ${this.config.inDim}`);
    if (rows === 0) return new Float32Array(0);
    const out = await this.model.infer({ x: matrix(x, rows, this.config.inDim, 'project input') });
    return Float32Array.from(out.data);
  }

  trainer(options: TrainerOptions = {}): ProjectionTrainer {
    return new ProjectionTrainer(this, createTrainer(this.model, options));
  }

  /** Writes both files as new files (tmp + rename): a model folder may hold them as hard links to a published version. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const tensors = new Map<string, NamedTensor>();
    for (const [name, t] of Object.entries(this.model.tensors()))
      tensors.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
    writeSafetensors(join(dir, 'projection.safetensors'), tensors, { format: 'pt' });
    writeAtomic(join(dir, 'projection.json'), JSON.stringify(this.config, null, 2) + '\n');
  }

  /** The number of items set with setItems (0 before). */
  get itemCount(): number {
    return this.items;
  }
}

export class ProjectionTrainer {
  constructor(
    private readonly head: ProjectionHead,
    private readonly native: NativeTrainer,
  ) {}

  /**
   * One AdamW step on InfoNCE + L_reg. users [B, inDim] row-major, positives [B] item indices,
   * negatives item indices: [B, N] row-major (per user), or [N] shared by the whole batch (far
   * cheaper on large catalogues; a shared negative equal to a user's positive is ignored for
   * that user). Returns the loss.
   */
  step(
    users: Float32Array,
    positives: Int32Array,
    negatives: Int32Array,
    sharing: 'per-user' | 'shared' = 'per-user',
  ): Promise<number> {
    const { inDim } = this.head.config;
    const b = users.length / inDim;
    check(Number.isInteger(b) && b > 0, `users must hold one or more whole rows of ${inDim}`);
    check(positives.length === b, `positives: ${positives.length} indices for ${b} users`);
    const rows = sharing === 'shared' ? 1 : b;
    const n = negatives.length / rows;
    check(Number.isInteger(n), `negatives: ${negatives.length} indices do not split into ${b} equal rows`);
    check(this.head.itemCount > 0, 'set the item matrix (setItems) before training the projection');
    return this.native.step({
      users: matrix(users, b, inDim, 'users'),
      positives: { data: positives, shape: [b] },
      negatives: { data: negatives, shape: [rows, n] },
    });
  }

  get learningRate(): number {
    return this.native.learningRate;
  }

  get steps(): number {
    return this.native.steps;
  }
}
