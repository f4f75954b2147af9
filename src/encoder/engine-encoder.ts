/**
 * A sentence encoder running in the numeric engine: tokenises in TypeScript, batches texts of
 * similar length together, and fine-tunes by MSE distillation onto target vectors. USE-lite and
 * the BERT family are both this class with their own tokenizer, configuration and files.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, UserError } from '../util/errors.js';
import {
  createModel,
  createTrainer,
  resolvePrecision,
  type Batch,
  type ModelOptions,
  type NativeModel,
  type NativeTrainer,
  type TensorData,
  type TrainerOptions,
} from '../engine/native.js';
import { writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import type { EncodeOptions, TextEncoder, Tokenizer } from './types.js';

export interface EncoderSpec {
  name: string;
  /** The engine's model kind ('use-lite', 'bert'). */
  kind: string;
  /** The engine's numeric model configuration. */
  config: Record<string, number>;
  tensors: Map<string, NamedTensor>;
  tokenizer: Tokenizer;
  dim: number;
  maxTokens: number;
  /** The most tokens the architecture can take at all (BERT: max_position_embeddings). */
  tokenLimit?: number;
  /** Floats per token of the model's widest activation (the feed-forward inner width). */
  activationWidth: number;
  pooling: 'mean' | 'cls';
  normalized: boolean;
  /** Parameter-name prefix of the token embeddings, and of transformer layer i (for freezing). */
  embeddingPrefix: string;
  layerPrefix: (layer: number) => string;
  /** Writes everything besides model.safetensors that makes `dir` loadable again. */
  writeFiles: (dir: string) => void;
}

export interface EncoderLoadOptions extends ModelOptions {
  /** Overrides the model's maximum number of tokens per text. */
  maxTokens?: number;
  /** Where the one truncation warning goes (default: a line on stderr). */
  onWarning?: (message: string) => void;
}

export interface EncoderTrainerOptions extends TrainerOptions {
  /** Keep the token embeddings fixed. */
  freezeEmbeddings?: boolean;
  /** Keep the lowest N transformer layers fixed. */
  freezeLayers?: number;
}

/**
 * Bytes of the widest activation of one engine call. glibc serves blocks above 32 MB by mmap
 * afresh every time, so an oversized call pays page faults on every layer and runs several times
 * slower per text (bench/README.md). Calls stay well below.
 */
const MAX_ACTIVATION_BYTES = 16 << 20;

/** Batch widths are padded to a multiple of 16, so the engine sees few distinct shapes. */
function paddedWidth(longest: number): number {
  return Math.max(16, Math.ceil(longest / 16) * 16);
}

export class EngineEncoder implements TextEncoder {
  readonly name: string;
  readonly dim: number;
  readonly maxTokens: number;
  readonly pooling: 'mean' | 'cls';
  readonly normalized: boolean;
  /** The compute precision in use ('auto' resolved: bfloat16 where the CPU has it natively). */
  readonly precision: 'float32' | 'bfloat16';
  /** Low-level access to the engine model (tensors, gradients). */
  readonly model: NativeModel;
  /** The spec without its tensors: the engine holds the only copy of the weights. */
  private readonly spec: Omit<EncoderSpec, 'tensors'>;
  private readonly onWarning: (message: string) => void;
  private warned = false;

  constructor({ tensors: weights, ...spec }: EncoderSpec, options: EncoderLoadOptions = {}) {
    this.spec = spec;
    this.name = spec.name;
    this.dim = spec.dim;
    this.maxTokens = options.maxTokens ?? spec.maxTokens;
    check(
      Number.isInteger(this.maxTokens) && this.maxTokens >= 2,
      `${spec.name}: maxTokens must be an integer >= 2, got ${this.maxTokens}`,
    );
    check(
      spec.tokenLimit === undefined || this.maxTokens <= spec.tokenLimit,
      `${spec.name}: maxTokens ${this.maxTokens} exceeds the model's limit of ${spec.tokenLimit} positions`,
    );
    this.pooling = spec.pooling;
    this.normalized = spec.normalized;
    this.onWarning = options.onWarning ?? ((message) => process.stderr.write(`warning: ${message}\n`));
    const tensors: Record<string, TensorData> = {};
    for (const [name, t] of weights) tensors[name] = t;
    this.precision = resolvePrecision(options.precision ?? 'auto', options.device, options.dtype);
    this.model = createModel(
      spec.kind,
      spec.config,
      tensors,
      { device: options.device, dtype: options.dtype, precision: this.precision },
      spec.name,
    );
  }

  async encode(texts: readonly string[], options: EncodeOptions = {}): Promise<Float32Array> {
    const batchSize = options.batchSize ?? 64;
    check(Number.isInteger(batchSize) && batchSize > 0, `batch size must be a positive integer, got ${batchSize}`);
    const tokens = texts.map((text) => this.tokenize(text));
    // Longest first, so each batch pads to a similar length and the slowest batches come first.
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[b].length - tokens[a].length || a - b);
    const out = new Float32Array(texts.length * this.dim);
    const maxTokens = MAX_ACTIVATION_BYTES / (4 * this.spec.activationWidth);
    for (let start = 0; start < order.length;) {
      // At most batchSize texts, and few enough (padded to the longest) to stay below the mmap size.
      const width = paddedWidth(tokens[order[start]].length);
      const rows = order.slice(start, start + Math.max(1, Math.min(batchSize, Math.floor(maxTokens / width))));
      const result = await this.model.infer(this.tokenBatch(rows.map((i) => tokens[i])));
      rows.forEach((row, r) => out.set(result.data.subarray(r * this.dim, (r + 1) * this.dim), row * this.dim));
      start += rows.length;
      options.onProgress?.(start, order.length);
    }
    return out;
  }

  /** An MSE distillation trainer over this encoder's weights (the encoder itself is updated). */
  trainer(options: EncoderTrainerOptions = {}): EncoderTrainer {
    const { freezeEmbeddings, freezeLayers: frozenLayers = 0, ...optimizer } = options;
    const parameters = this.model.parameters();
    check(
      Number.isInteger(frozenLayers) && frozenLayers >= 0,
      `freezeLayers must be a non-negative integer, got ${frozenLayers}`,
    );
    const prefixes = freezeEmbeddings ? [this.spec.embeddingPrefix] : [];
    for (let i = 0; i < frozenLayers; i++) prefixes.push(this.spec.layerPrefix(i));
    const frozen = parameters.filter((p) => prefixes.some((prefix) => p.name.startsWith(prefix))).map((p) => p.name);
    this.model.setTrainable(
      parameters.map((p) => p.name),
      true,
    );
    this.model.setTrainable(frozen, false);
    return new EncoderTrainer(this, createTrainer(this.model, optimizer));
  }

  /** The engine batch for some texts, with targets when given (rows x dim). */
  batch(texts: readonly string[], targets?: Float32Array): Batch {
    check(texts.length > 0, 'empty batch: no texts given');
    const batch = this.tokenBatch(texts.map((text) => this.tokenize(text)));
    if (targets) {
      check(
        targets.length === texts.length * this.dim,
        `targets hold ${targets.length} values, expected ${texts.length} x ${this.dim}`,
      );
      batch.targets = { data: targets, shape: [texts.length, this.dim] };
    }
    return batch;
  }

  /** Writes model.safetensors (engine tensor names) and the files that make `dir` loadable. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const tensors = new Map<string, NamedTensor>();
    for (const [name, t] of Object.entries(this.model.tensors()))
      tensors.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
    writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    this.spec.writeFiles(dir);
  }

  private tokenize(text: string): number[] {
    if (typeof text !== 'string') throw new UserError(`${this.name}: expected text, got ${typeof text}`);
    const ids = this.spec.tokenizer.encode(text);
    if (ids.length <= this.maxTokens) return ids;
    if (!this.warned) {
      this.warned = true;
      this.onWarning(
        `${this.name}: texts longer than ${this.maxTokens} tokens are truncated to their first ${this.maxTokens} (said once)`,
      );
    }
    return this.spec.tokenizer.truncate(ids, this.maxTokens);
  }

  private tokenBatch(rows: number[][]): Batch {
    const width = paddedWidth(Math.max(...rows.map((r) => r.length)));
    const ids = new Int32Array(rows.length * width);
    const lengths = new Int32Array(rows.length);
    rows.forEach((r, i) => {
      ids.set(r, i * width);
      lengths[i] = r.length;
    });
    return { ids: { data: ids, shape: [rows.length, width] }, lengths: { data: lengths, shape: [rows.length] } };
  }
}

/** Fine-tunes an EngineEncoder so that its embeddings of texts approach given target vectors. */
export class EncoderTrainer {
  constructor(
    private readonly encoder: EngineEncoder,
    private readonly native: NativeTrainer,
  ) {}

  /** One AdamW step on MSE(encode(texts), targets); targets are texts.length x dim. Returns the loss. */
  async step(texts: readonly string[], targets: Float32Array): Promise<number> {
    return this.native.step(this.encoder.batch(texts, targets));
  }

  get learningRate(): number {
    return this.native.learningRate;
  }

  get steps(): number {
    return this.native.steps;
  }
}
