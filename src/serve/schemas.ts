import { z } from 'zod';
import { historyEntryOptionalTimeSchema } from '../rank/history-input.js';

/** Request limits: each one answers 400 naming the field (the body size: 413). */
export const LIMITS = {
  bodyBytes: 1 << 20,
  /** Bodies up to this size are read and discarded before their 413 (see json-body.ts). */
  drainBytes: 8 << 20,
  historyEntries: 200,
  k: 100,
  itemsPerRequest: 100,
  searchResults: 50,
} as const;

/** A whole number in a query string: decimal digits only (no "0x10", "1e3" or " 5"). */
const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .default(fallback);
const k = queryInt(1, LIMITS.k, 10);
const part = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe("a part of the served hybrid (one of GET /v1/model's parts): that part's answer alone, to compare");
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1')]);

export const recommendRequestSchema = z
  .object({
    history: z.array(historyEntryOptionalTimeSchema).min(1).max(LIMITS.historyEntries),
    k: z.number().int().min(1).max(LIMITS.k).default(10),
    exclude_seen: z.boolean().default(false),
    explain: z.boolean().default(false),
    /** When the recommendation is asked for (Unix seconds); default: the latest history entry's time. */
    time: z.number().nonnegative().max(8.64e12).optional(),
    part,
  })
  .strict();

export const userRecommendQuerySchema = z
  .object({ k, exclude_seen: flag.default(false), explain: flag.default(false), part })
  .strict();
export const userParamsSchema = z.object({ id: z.string().min(1).max(200) });

export const searchQuerySchema = z
  .object({
    q: z.string().max(200).default(''),
    limit: queryInt(1, LIMITS.searchResults, 20),
  })
  .strict();

export const popularQuerySchema = z.object({ k }).strict();

const itemInputSchema = z
  .object({
    item_id: z.string().min(1).max(200),
    /** Absent, null or empty: an item without a title (shown by its id; text models read its other fields). */
    title: z
      .string()
      .trim()
      .max(1000)
      .nullable()
      .default('')
      .transform((t) => t ?? ''),
    /** Category paths, most general first, e.g. [["Beauty", "Nails"]]. */
    categories: z
      .array(z.array(z.string().max(200)).max(10))
      .max(10)
      .default([]),
    brand: z.string().max(200).nullable().default(null),
    description: z.string().max(10_000).nullable().default(null),
  })
  .strict();

export const addItemsRequestSchema = z
  .object({ items: z.array(itemInputSchema).min(1).max(LIMITS.itemsPerRequest) })
  .strict();
export type ItemInput = z.infer<typeof itemInputSchema>;

const explanationSchema = z.object({
  user_id: z.string().describe('the training user whose reasoning text this is'),
  similarity: z.number().describe('cosine between the item and the reasoning text in the frozen encoder space'),
  text: z.string(),
});

const recommendedItemSchema = z.object({
  item_id: z.string(),
  title: z.string(),
  score: z.number(),
  explanations: z.array(explanationSchema).optional(),
  contributions: z
    .array(
      z.object({
        part: z.string(),
        weight: z.number(),
        score: z.number().describe("the part's score for the item, standardised over all items for this history"),
        contribution: z.number().describe('weight x score: what the part adds to the hybrid score'),
      }),
    )
    .optional()
    .describe('hybrids: what each part contributed'),
  because: z
    .array(z.object({ item_id: z.string(), title: z.string(), score: z.number() }))
    .optional()
    .describe('item kNN: the history items whose neighbours reached the item, with their share of its score'),
});

export const recommendResponseSchema = z.object({ items: z.array(recommendedItemSchema), seconds: z.number() });
export const itemSummarySchema = z.object({ item_id: z.string(), title: z.string(), added: z.boolean() });
export const searchResponseSchema = z.object({ items: z.array(itemSummarySchema) });
export const popularResponseSchema = z.object({
  items: z.array(z.object({ item_id: z.string(), title: z.string(), score: z.number() })),
});
export const addItemsResponseSchema = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  index_size: z.number().int(),
});
export const modelResponseSchema = z.object({
  about: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe('facts about the served model'),
  card: z.string().describe('the model card, Markdown'),
  card_html: z.string().describe('the model card as HTML (raw HTML in the Markdown is escaped, not passed through)'),
  parts: z
    .array(z.object({ name: z.string(), weight: z.number() }))
    .describe("a hybrid's parts, each of which POST /v1/recommend can ask alone (`part`); empty for other models"),
});
export const errorSchema = z.object({ error: z.string() });
export const healthSchema = z.object({
  status: z.literal('ok'),
  model: z.string(),
  version: z.string().describe('which training of the model is served (changes with a retrain and a reload)'),
  items: z.number().int(),
});
