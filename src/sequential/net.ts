/**
 * A next-item model in the engine (native/src/sasrec.cc, gru4rec.cc): its parameters and their
 * seeded initialisation, batches of histories, scores over every item, and its files
 * (`model.safetensors` with the parameters under the engine's names, `sequential.json`).
 */
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { createModel, createTrainer, type NativeModel, type NativeTrainer, type TensorData } from '../engine/native.js';
import { Random } from '../engine/random.js';
import { writeAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { formatIssue } from '../util/zod.js';
import { sequentialConfigSchema, type SequentialConfig } from './config.js';

export const WEIGHTS_FILE = 'model.safetensors';
/** Written last by training: its presence marks a finished sequential model. */
export const INFO_FILE = 'sequential.json';

export interface SequentialInfo {
  config: SequentialConfig;
  /** Catalogue size the output layer scores. */
  items: number;
  dataset: string;
  /** datasetFingerprint of the data trained on (absent in models of an older r2end). */
  fingerprint?: string;
}

type Init = 'glorot' | 'zeros' | 'ones' | 'gru';

/** Every parameter of the engine model by name, with its shape and initialisation. */
function parameterSpecs(cfg: SequentialConfig, items: number): Array<[string, number[], Init]> {
  const d = cfg.hidden;
  if (cfg.model === 'gru4rec') {
    return [
      ['item_embedding', [items, d], 'glorot'],
      ['gru.weight_ih_l0', [3 * d, d], 'gru'],
      ['gru.weight_hh_l0', [3 * d, d], 'gru'],
      ['gru.bias_ih_l0', [3 * d], 'gru'],
      ['gru.bias_hh_l0', [3 * d], 'gru'],
      ['output_embedding', [items, d], 'glorot'],
    ];
  }
  const specs: Array<[string, number[], Init]> = [
    ['item_embedding', [items, d], 'glorot'],
    ['position_embedding', [cfg.maxLength, d], 'glorot'],
  ];
  const norm = (name: string) => specs.push([`${name}.weight`, [d], 'ones'], [`${name}.bias`, [d], 'zeros']);
  const linear = (name: string) => specs.push([`${name}.weight`, [d, d], 'glorot'], [`${name}.bias`, [d], 'zeros']);
  for (let b = 0; b < cfg.blocks!; b++) {
    norm(`blocks.${b}.attention_norm`);
    for (const part of ['q', 'k', 'v']) linear(`blocks.${b}.attention.${part}`);
    norm(`blocks.${b}.ffn_norm`);
    linear(`blocks.${b}.fc1`);
    linear(`blocks.${b}.fc2`);
  }
  norm('final_norm');
  return specs;
}

/**
 * Initial values as in the reference implementations: Glorot-uniform matrices and embeddings
 * (the official SASRec code), zero biases, unit LayerNorm scales, and torch's default for GRU
 * weights (uniform in +-1/sqrt(hidden)).
 */
function initialise(specs: Array<[string, number[], Init]>, hidden: number, random: Random): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, shape, init] of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (init === 'glorot') {
      const bound = Math.sqrt(6 / (shape[0] + shape[1]));
      data = random.uniforms(n, -bound, bound);
    } else if (init === 'gru') data = random.uniforms(n, -1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden));
    else data = new Float32Array(n).fill(init === 'ones' ? 1 : 0);
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** Each history's last `maxLength` items, left-aligned and padded with -1 on the right: [B,T], T >= 1. */
export function itemRows(histories: readonly Int32Array[], maxLength: number): TensorData {
  const width = Math.max(1, Math.min(maxLength, Math.max(0, ...histories.map((h) => h.length))));
  const data = new Int32Array(histories.length * width).fill(-1);
  histories.forEach((h, r) => data.set(h.subarray(Math.max(0, h.length - width)), r * width));
  return { data, shape: [histories.length, width] };
}

export class SequentialNet {
  private constructor(
    readonly info: SequentialInfo,
    /** Low-level access to the engine model. */
    readonly model: NativeModel,
  ) {}

  /** A new model initialised from `config.seed`. */
  static create(config: SequentialConfig, items: number, dataset: string, fingerprint?: string): SequentialNet {
    const tensors = initialise(parameterSpecs(config, items), config.hidden, new Random(config.seed));
    return SequentialNet.fromTensors({ config, items, dataset, fingerprint }, tensors, 'initial weights');
  }

  /** A trained model from its folder. */
  static load(dir: string, device?: string): SequentialNet {
    const infoPath = join(dir, INFO_FILE);
    const info = readJsonFile<SequentialInfo>(infoPath, 'a trained sequential model');
    const parsed = sequentialConfigSchema.safeParse(info.config);
    if (!parsed.success) throw new UserError(`${infoPath}: ${formatIssue(parsed.error)}`);
    const config = device ? { ...parsed.data, device } : parsed.data;
    const weights = join(dir, WEIGHTS_FILE);
    return SequentialNet.fromTensors({ ...info, config }, readSafetensors(weights), weights);
  }

  static fromTensors(info: SequentialInfo, tensors: Map<string, NamedTensor>, source: string): SequentialNet {
    const c = info.config;
    const numeric: Record<string, number> = {
      items: info.items,
      hidden: c.hidden,
      dropout: c.dropout,
      loss: c.loss === 'ce' ? 1 : 0,
      maxLength: c.maxLength,
    };
    if (c.model === 'sasrec') Object.assign(numeric, { blocks: c.blocks, heads: c.heads });
    const model = createModel(
      c.model,
      numeric,
      Object.fromEntries(tensors),
      { device: c.device, precision: c.precision },
      source,
    );
    return new SequentialNet(info, model);
  }

  get config(): SequentialConfig {
    return this.info.config;
  }

  /** Scores [B, items] of every item after each history (oldest item first). */
  async score(histories: readonly Int32Array[]): Promise<Float32Array> {
    if (histories.length === 0) return new Float32Array(0);
    const out = await this.model.infer({ items: itemRows(histories, this.config.maxLength) });
    return out.data as Float32Array;
  }

  /** Adam as in the SASRec paper (no weight decay, no clipping) at a constant learning rate. */
  trainer(): NativeTrainer {
    return createTrainer(this.model, {
      learningRate: this.config.lr,
      beta2: this.config.beta2,
      weightDecay: 0,
      maxGradNorm: 0,
    });
  }

  /** Copies of every parameter. */
  tensors(): Map<string, NamedTensor> {
    return new Map(
      Object.entries(this.model.tensors()).map(([name, t]) => [
        name,
        { shape: t.shape, data: Float32Array.from(t.data) },
      ]),
    );
  }

  /** Sets every parameter from saved copies (a checkpoint). */
  setTensors(tensors: Map<string, NamedTensor>): void {
    for (const [name, t] of tensors) this.model.setTensor(name, t);
  }

  saveWeights(dir: string): void {
    writeSafetensors(join(dir, WEIGHTS_FILE), this.tensors(), { format: 'pt', model: this.config.model });
  }

  /** Marks the folder as a finished model (after its weights are written). */
  saveInfo(dir: string): void {
    writeAtomic(join(dir, INFO_FILE), `${JSON.stringify(this.info, null, 2)}\n`);
  }
}
