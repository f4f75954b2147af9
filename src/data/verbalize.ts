import { z } from 'zod';
import type { Item } from './types.js';

export const ITEM_FIELDS = ['title', 'categories', 'brand', 'description'] as const;
export type ItemField = (typeof ITEM_FIELDS)[number];

/** How a history becomes text (paper appendix I.1); every part is configurable. */
export const verbalizeSchema = z.object({
  /** At most this many interactions... */
  maxItems: z.number().int().positive().default(8),
  /** ...from this many days before the reference time; if none, the single most recent one. */
  windowDays: z.number().positive().default(60),
  /** Item metadata on each line, in this order. */
  fields: z.array(z.enum(ITEM_FIELDS)).min(1).default(['title', 'categories', 'brand']),
  /** Prefix each line with the interaction date (YYYY-MM-DD, UTC). */
  dates: z.boolean().default(true),
  /** Line order: the paper lists oldest first; short-window encoders see more with newest first. */
  order: z.enum(['oldest-first', 'newest-first']).default('oldest-first'),
  separator: z.string().default('\n'),
});
export type VerbalizeOptions = z.infer<typeof verbalizeSchema>;
export const DEFAULT_VERBALIZE: VerbalizeOptions = verbalizeSchema.parse({});

const DAY = 86_400;

/**
 * Positions (into the history) of the interactions to verbalise, oldest first: the most recent
 * `maxItems` within `windowDays` before `referenceTime`; if none falls there, the last one.
 */
export function selectHistory(
  times: ArrayLike<number>,
  referenceTime: number,
  opts: Pick<VerbalizeOptions, 'maxItems' | 'windowDays'> = DEFAULT_VERBALIZE,
): number[] {
  const from = referenceTime - opts.windowDays * DAY;
  const picked: number[] = [];
  for (let p = times.length - 1; p >= 0 && picked.length < opts.maxItems; p--) {
    if (times[p] > referenceTime) continue;
    if (times[p] < from) break;
    picked.push(p);
  }
  if (picked.length === 0 && times.length > 0) picked.push(times.length - 1);
  return picked.reverse();
}

/**
 * How an item without a title is written: by the fields it has, and not at all when it has none
 * (`omit`: the encoders' texts, where an id means nothing), or named by its id (`id`: prompts and
 * pages, where an item must be recognisable and a line never empty).
 */
export type Untitled = 'omit' | 'id';

/** An item's name for people: its title, or its id when it has none. */
export function itemName(item: Item): string {
  return item.title.trim() || `item ${item.id}`;
}

/** An item's metadata as one line of text: `Title (Category: A > B; Brand: X)`. */
export function itemText(
  item: Item,
  fields: readonly ItemField[] = DEFAULT_VERBALIZE.fields,
  untitled: Untitled = 'omit',
): string {
  const parts: string[] = [];
  let title = '';
  for (const f of fields) {
    if (f === 'title') title = untitled === 'id' ? itemName(item) : item.title.trim();
    else if (f === 'categories' && item.categories.length)
      parts.push(`Category: ${item.categories.map((p) => p.join(' > ')).join(', ')}`);
    else if (f === 'brand' && item.brand) parts.push(`Brand: ${item.brand}`);
    else if (f === 'description' && item.description) parts.push(`Description: ${item.description.trim()}`);
  }
  if (!title) return parts.length || untitled === 'omit' ? parts.join('; ') : itemName(item);
  return parts.length ? `${title} (${parts.join('; ')})` : title;
}

export function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** One history entry: a known item, or free text (a history given as text at inference). */
export type HistoryEntry = { item: Item; timestamp: number } | { text: string; timestamp: number };

/**
 * The history text H_u: one line per selected interaction with its date and metadata. With
 * `untitled: 'omit'`, an item with no text at all gives no line (a date alone says nothing).
 */
export function verbalizeHistory(
  entries: readonly HistoryEntry[],
  referenceTime: number,
  opts: VerbalizeOptions = DEFAULT_VERBALIZE,
  untitled: Untitled = 'omit',
): string {
  const picked = selectHistory(
    entries.map((e) => e.timestamp),
    referenceTime,
    opts,
  );
  if (opts.order === 'newest-first') picked.reverse();
  return picked
    .flatMap((p) => {
      const e = entries[p];
      const body = 'item' in e ? itemText(e.item, opts.fields, untitled) : e.text.trim();
      if (body === '') return [];
      return [opts.dates ? `${isoDate(e.timestamp)}: ${body}` : body];
    })
    .join(opts.separator);
}
