/**
 * The typed surface of the native numeric engine (native/, libtorch behind N-API). Everything
 * numeric goes through here; the rest of r2end never touches the addon directly.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
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
  /**
   * Compute precision of forward passes (default float32). 'bfloat16' runs matrix products in
   * bfloat16 while parameters, residual sums and gradients stay float32 (mixed precision);
   * 'auto' picks it where the hardware runs bfloat16 natively (see resolvePrecision).
   */
  precision?: Precision;
}

export type Precision = 'auto' | 'float32' | 'bfloat16';
export const PRECISIONS: readonly Precision[] = ['auto', 'float32', 'bfloat16'];

let cpuBf16: boolean | undefined;
/** Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX); elsewhere it is emulated and slow. */
export function cpuHasBf16(): boolean {
  if (cpuBf16 === undefined) {
    let flags = '';
    try {
      flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    } catch {
      // Not Linux: no way to tell, so stay exact.
    }
    cpuBf16 = /\b(avx512_bf16|amx_bf16)\b/.test(flags);
  }
  return cpuBf16;
}

/** 'auto' becomes bfloat16 on a CPU with native bfloat16 and float32 elsewhere; float64 models stay exact. */
export function resolvePrecision(
  precision: Precision | undefined,
  device = 'cpu',
  dtype: ModelOptions['dtype'] = 'float32',
): 'float32' | 'bfloat16' {
  if (precision === 'bfloat16' && dtype === 'float64')
    throw new UserError('precision bfloat16 cannot be combined with float64 parameters');
  if (precision === undefined || precision === 'auto')
    return dtype === 'float32' && device === 'cpu' && cpuHasBf16() ? 'bfloat16' : 'float32';
  return precision;
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

/** Everything AdamW carries between steps (exp_avg.NAME, exp_avg_sq.NAME, step.NAME), for checkpoints. */
export interface TrainerState {
  steps: number;
  tensors: Record<string, TensorData>;
}

export interface NativeTrainer {
  step(batch: Batch): Promise<number>;
  readonly learningRate: number;
  readonly steps: number;
  state(): TrainerState;
  /** Restores a state() so training continues exactly where it stopped. */
  setState(state: TrainerState): void;
}

export interface NativeItemMatrix {
  topK(
    queries: TensorData,
    k: number,
    exclusions: { offsets: TensorData; indices: TensorData },
  ): Promise<{ indices: TensorData; scores: TensorData }>;
  scores(queries: TensorData): Promise<TensorData>;
}

interface Addon {
  Model: new (
    kind: string,
    config: Record<string, number>,
    tensors: Record<string, TensorData>,
    options: ModelOptions,
  ) => NativeModel;
  Trainer: new (model: NativeModel, options: TrainerOptions) => NativeTrainer;
  ItemMatrix: new (items: TensorData, options: { metric: 'cosine' | 'dot'; device?: string }) => NativeItemMatrix;
  matmulBenchmark(n: number, repeats: number, options: { device?: string }): Promise<number>;
  setThreads(threads: number): void;
  info(): { torchVersion: string; threads: number; cuda: boolean; cudaDevices: number };
}

const addonPath = fileURLToPath(new URL('../../../native/build/Release/r2end_engine.node', import.meta.url));
let loaded: Addon | undefined;

/** The addon, loaded on first use. */
export function engine(): Addon {
  if (!loaded) {
    if (!existsSync(addonPath))
      throw new UserError(`the numeric engine is not built (${addonPath} is missing): run npm run build:native`);
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
    return new Model(kind, config, tensors, {
      ...options,
      precision: resolvePrecision(options.precision ?? 'float32', options.device, options.dtype),
    });
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
