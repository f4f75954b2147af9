import type { EpochEntry } from '../eval/selection.js';

/**
 * What a training run leaves beside its model bundle (`training.json`): the facts a report and
 * a model card need: which data, teacher, encoder and settings, the curves, and timings.
 */
export interface TrainingRecord {
  model: string;
  created: string;
  dataset: string;
  teacher: { backend: string; model?: string; mode: string; label: string; isLLM: boolean };
  encoder: string;
  /** The encoders' compute precision during training ('auto' resolved). */
  precision: 'float32' | 'bfloat16';
  ablation: string;
  config: Record<string, unknown>;
  counts: Record<string, number>;
  curves: {
    /** Distillation MSE per logged step. */
    distill: Array<{ step: number; loss: number }>;
    /** Projection InfoNCE (+ L_reg) per epoch, validated (NDCG@10, HR@10) like every model. */
    projection: Array<EpochEntry & { validNdcg10: number }>;
  };
  /** Student vs pretrained encoder: distances to the reasoning targets of held-out users. */
  alignment?: {
    users: number;
    before: { l2: number[]; cos: number[] };
    after: { l2: number[]; cos: number[] };
  };
  /** Seconds per stage. */
  seconds: Record<string, number>;
  /** Written by the latency benchmark (latency.json beside the model). */
  latency?: Record<string, number | string>;
}
