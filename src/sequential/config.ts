import { z } from 'zod';
import { PRECISIONS } from '../engine/native.js';
import { resolveLayers, type ConfigLayer } from '../util/config-layers.js';

export const SEQUENTIAL_MODELS = ['sasrec', 'gru4rec'] as const;
export type SequentialKind = (typeof SEQUENTIAL_MODELS)[number];
export const LOSSES = ['bce', 'ce'] as const;

const positiveInt = z.number().int().positive();

/**
 * Settings of a next-item model and its training. Every field is given by the model's defaults
 * (below), then `--config FILE`, then flags; the schema only validates.
 */
export const sequentialConfigSchema = z
  .object({
    model: z.enum(SEQUENTIAL_MODELS),
    /** bce: one sampled negative per position (the SASRec paper); ce: softmax over all items. */
    loss: z.enum(LOSSES),
    hidden: positiveInt,
    /** SASRec only: attention blocks and heads. */
    blocks: positiveInt.optional(),
    heads: positiveInt.optional(),
    dropout: z.number().min(0).lt(1),
    /** The most recent items of a history the model reads. */
    maxLength: positiveInt,
    lr: z.number().positive(),
    /** Adam's second-moment decay (the official SASRec code: 0.98). */
    beta2: z.number().gt(0).lt(1),
    batchSize: positiveInt,
    /** At most this many epochs; training stops earlier after `patience` epochs without a better validation NDCG@10. */
    epochs: positiveInt,
    patience: positiveInt,
    /** Validation NDCG@10 is measured every this many epochs (and after the last). */
    evalEvery: positiveInt,
    seed: z.number().int().nonnegative(),
    device: z.string().min(1),
    /** Compute precision of the forward passes ('auto': bfloat16 where the CPU has it natively); scores stay float32. */
    precision: z.enum(PRECISIONS),
  })
  .strict()
  .refine(
    (c) => c.model !== 'sasrec' || (c.blocks !== undefined && c.heads !== undefined && c.hidden % c.heads === 0),
    {
      message: 'SASRec needs blocks and heads, with hidden a multiple of heads',
      path: ['heads'],
    },
  )
  .refine((c) => c.model === 'sasrec' || (c.blocks === undefined && c.heads === undefined), {
    message: 'blocks and heads are SASRec settings',
    path: ['blocks'],
  })
  // Otherwise training could stop before its first validation.
  .refine((c) => c.evalEvery <= c.patience, { message: 'must not exceed patience', path: ['evalEvery'] });

export type SequentialConfig = z.infer<typeof sequentialConfigSchema>;

const COMMON = { lr: 1e-3, beta2: 0.98, batchSize: 128, maxLength: 50, epochs: 200, seed: 42, device: 'cpu' } as const;

/**
 * Each model's defaults. SASRec's architecture is the paper's for sparse Amazon data; its loss is
 * softmax cross-entropy over all items (RecBole's default), far stronger than the paper's BCE with
 * one sampled negative, which stays available as `loss: 'bce'`.
 */
export const DEFAULTS: Record<
  SequentialKind,
  Omit<SequentialConfig, 'model' | 'evalEvery' | 'patience' | 'precision'>
> = {
  sasrec: { ...COMMON, loss: 'ce', hidden: 50, blocks: 2, heads: 1, dropout: 0.5 },
  gru4rec: { ...COMMON, loss: 'ce', hidden: 64, dropout: 0.3 },
};

/**
 * Defaults that depend on the loss. Early stopping: BCE learns from one negative per position,
 * so its validation NDCG@10 rises slowly with long plateaus and dips on the way: it is validated
 * every 5 epochs and stops after 25 without a gain. Softmax CE rises smoothly to its best in far
 * fewer epochs, each costlier: every epoch, 5 of patience. Precision: CE's step is mostly the
 * [positions x items] logits, whose products bfloat16 runs in much less CPU time with the same
 * validation NDCG@10; BCE's products are tiny and gain nothing. Figures: bench/README.md.
 */
const LOSS_DEFAULTS: Record<(typeof LOSSES)[number], Pick<SequentialConfig, 'evalEvery' | 'patience' | 'precision'>> = {
  bce: { evalEvery: 5, patience: 25, precision: 'float32' },
  ce: { evalEvery: 1, patience: 5, precision: 'auto' },
};

/** The defaults of the model and of the loss the layers choose < the layers (a config file, flags), validated layer by layer. */
export function resolveSequentialConfig(model: SequentialKind, layers: ConfigLayer[]): SequentialConfig {
  const loss = layers.reduce<unknown>((chosen, layer) => layer.values.loss ?? chosen, DEFAULTS[model].loss);
  const defaults = { model, ...DEFAULTS[model], ...LOSS_DEFAULTS[loss === 'ce' ? 'ce' : 'bce'] };
  return resolveLayers(sequentialConfigSchema, [{ source: 'defaults', values: defaults }, ...layers]);
}

/** The model folder's default name: the model, plus the loss when it is not the model's default. */
export function defaultSequentialName(cfg: SequentialConfig): string {
  return cfg.loss === DEFAULTS[cfg.model].loss ? cfg.model : `${cfg.model}-${cfg.loss}`;
}
