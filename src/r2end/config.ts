import { z } from 'zod';
import { verbalizeSchema } from '../data/verbalize.js';
import { PRECISIONS } from '../engine/native.js';
import { BACKENDS } from '../teacher/config.js';
import { resolveLayers, type ConfigLayer } from '../util/config-layers.js';

/**
 * Training configuration. Every default is the paper's (appendix D) unless a comment says
 * otherwise. Layers: defaults < --config FILE (JSON) < flags.
 */
export const ABLATIONS = ['none', 'no-reasoning', 'frozen-encoder', 'no-projection', 'no-reg'] as const;

const positive = z.number().positive();

export const trainConfigSchema = z
  .object({
    seed: z.number().int().nonnegative().default(42),
    /** `use-lite` (bundled) or a Hugging Face sentence-encoder directory. */
    encoder: z.string().min(1).default('use-lite'),
    /** Token window of the encoder; USE-lite's graph keeps 128, its re-implementation can take more. */
    maxTokens: z.number().int().positive().optional(),
    device: z.string().default('cpu'),
    /**
     * Not in the paper: the encoders' compute precision. `auto` = bfloat16 matrix products with
     * float32 weights, sums and gradients where the CPU multiplies bfloat16 natively (much faster,
     * embeddings all but unchanged; see bench/README.md), float32 elsewhere.
     */
    precision: z.enum(PRECISIONS).default('auto'),
    /**
     * The student's history text. Newest first (unlike the teacher prompt): USE-lite keeps only
     * the first 128 tokens (about three lines), so the latest purchases, which matter most, must
     * come first; see bench/README.md.
     */
    verbalize: verbalizeSchema.prefault({ order: 'newest-first' }),
    /** Which teacher's texts to learn from; unset fields: the workspace's last `teach` run. */
    teacher: z
      .object({
        backend: z.enum(BACKENDS).optional(),
        model: z.string().optional(),
        /** oracle: guided reasoning (paper); unguided: ablations (3) all / (4) matching. */
        mode: z.enum(['oracle', 'unguided']).optional(),
        keep: z.enum(['all', 'matching']).default('all'),
      })
      .prefault({}),
    distill: z
      .object({
        epochs: positive.default(1),
        batchSize: z.number().int().positive().default(16),
        lr: positive.default(1e-5),
        weightDecay: z.number().nonnegative().default(0.01),
        warmupRatio: z.number().min(0).max(1).default(0.1),
        clip: positive.default(1.0),
        freezeEmbeddings: z.boolean().default(false),
        freezeLayers: z.number().int().nonnegative().default(0),
        /** Share of the training users whose reasoning is distilled (paper appendix H.1). */
        ratio: z.number().gt(0).max(1).default(1),
        /** Training users held out of distillation to measure alignment before/after (appendix G). */
        alignmentUsers: z.number().int().nonnegative().default(1000),
      })
      .prefault({}),
    projection: z
      .object({
        dim: z.number().int().positive().default(512),
        tau: positive.default(0.07),
        /**
         * Not in the paper: the projection's compute precision while it trains. float32 by default
         * (a step with 99 negatives is cheap either way); bfloat16 pays off with every item as a
         * negative (bench/README.md, projection).
         */
        precision: z.enum(PRECISIONS).default('float32'),
        /** Negatives each positive meets; `all` = every other item (a full softmax, shared by the batch). */
        negatives: z.union([z.number().int().positive(), z.literal('all')]).default(99),
        batchSize: z.number().int().positive().default(128),
        lr: positive.default(1e-4),
        epochs: z.number().int().positive().default(10),
        lambda: z.number().nonnegative().default(0.5),
        /** Early stopping: epochs without a better validation NDCG@10. */
        patience: z.number().int().positive().default(3),
        /**
         * Training pairs: `last` = each user's last training item given the history before it
         * (the paper); `all` = every training position given its prefix (more pairs, same data).
         */
        examples: z.enum(['last', 'all']).default('last'),
        /**
         * `shared`: one set of negatives per batch (each positive still meets `negatives`
         * items; a step projects N items instead of B x N); `per-user`: drawn for every pair.
         */
        negativeSharing: z.enum(['shared', 'per-user']).default('shared'),
        /** Validation users scored after each epoch for early stopping (0 = all). */
        validUsers: z.number().int().nonnegative().default(0),
      })
      // Every item for every pair would project B x I items a step.
      .refine((p) => !(p.negatives === 'all' && p.negativeSharing === 'per-user'), {
        message: 'negatives "all" needs negativeSharing "shared"',
        path: ['negatives'],
      })
      .prefault({}),
    ablation: z.enum(ABLATIONS).default('none'),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Resolves the layered configuration; `source` names where a bad value came from. */
export function resolveConfig(layers: ConfigLayer[]): TrainConfig {
  return resolveLayers(trainConfigSchema, layers);
}
