/**
 * The typed surface of the native numeric engine (native/, libtorch behind N-API). Everything
 * numeric goes through here; the rest of r2end never touches the addon directly.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';

/** A dense tensor crossing the boundary: row-major data plus its shape. */
export interface TensorData {
  data: Float32Array | Float64Array | Int32Array;
  shape: number[];
}

export type Batch = Record<string, TensorData>;

export interface ModelOptions {
  /** 'cpu' (default), 'cuda' or 'cuda:N' when the addon is built against a CUDA libtorch. */
  device?: string;
  /** float64 exists for gradient checks; everything else runs in float32. */
  dtype?: 'float32' | 'float64';
}

export interface NativeModel {
  infer(batch: Batch): Promise<TensorData>;
  lossAndGradients(batch: Batch, names: string[]): Promise<{ loss: number; gradients: TensorData[] }>;
  tensors(): Record<string, TensorData>;
  setTensor(name: string, value: TensorData): void;
  parameters(): Array<{ name: string; shape: number[]; trainable: boolean }>;
  setTrainable(names: string[], trainable: boolean): void;
  setData(name: string, value: TensorData): void;
}

/** AdamW with linear warm-up then linear decay to 0 at totalSteps, and gradient clipping. */
export interface TrainerOptions {
  learningRate?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  warmupSteps?: number;
  /** 0 or absent: constant rate after warm-up. */
  totalSteps?: number;
  /** Max global gradient L2 norm; <= 0 disables clipping. */
  maxGradNorm?: number;
}

export interface NativeTrainer {
  step(batch: Batch): Promise<number>;
  readonly learningRate: number;
  readonly steps: number;
}

interface Addon {
  Model: new (kind: string, config: Record<string, number>, tensors: Record<string, TensorData>, options: ModelOptions) => NativeModel;
  Trainer: new (model: NativeModel, options: TrainerOptions) => NativeTrainer;
  topK(
    queries: TensorData,
    items: TensorData,
    k: number,
    exclusions: { offsets: TensorData; indices: TensorData },
    options: { metric: 'cosine' | 'dot'; device?: string },
  ): Promise<{ indices: TensorData; scores: TensorData }>;
  matmulBenchmark(n: number, repeats: number, options: { device?: string }): Promise<number>;
  setThreads(threads: number): void;
  info(): { torchVersion: string; threads: number; cuda: boolean; cudaDevices: number };
}

const addonPath = fileURLToPath(new URL('../../../native/build/Release/r2end_engine.node', import.meta.url));
let loaded: Addon | undefined;

/** The addon, loaded on first use. */
export function engine(): Addon {
  if (!loaded) {
    if (!existsSync(addonPath)) throw new UserError(`the numeric engine is not built (${addonPath} is missing): run npm run build:native`);
    loaded = createRequire(import.meta.url)(addonPath) as Addon;
  }
  return loaded;
}

/** Creates an engine model; errors about the given tensors become UserErrors naming `source`. */
export function createModel(
  kind: string,
  config: Record<string, number>,
  tensors: Record<string, TensorData>,
  options: ModelOptions,
  source: string,
): NativeModel {
  const { Model } = engine();
  try {
    return new Model(kind, config, tensors, options);
  } catch (error) {
    throw new UserError(`${source}: ${(error as Error).message}`);
  }
}

export function createTrainer(model: NativeModel, options: TrainerOptions): NativeTrainer {
  const { Trainer } = engine();
  try {
    return new Trainer(model, options);
  } catch (error) {
    throw new UserError(`trainer: ${(error as Error).message}`);
  }
}

export function matrix(data: Float32Array, rows: number, cols: number, what: string): TensorData {
  if (data.length !== rows * cols) throw new UserError(`${what}: ${data.length} values, expected ${rows} x ${cols}`);
  return { data, shape: [rows, cols] };
}
