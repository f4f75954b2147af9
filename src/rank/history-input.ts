import { basename } from 'node:path';
import { z } from 'zod';
import type { Item } from '../data/types.js';
import type { HistoryEntry } from '../data/verbalize.js';
import { UserError } from '../util/errors.js';
import { parsedTextProblem, readTextFile, textProblem } from '../util/utf8.js';
import { formatIssue } from '../util/zod.js';

/** The latest time a Date holds (8.64e15 ms), in seconds. */
const MAX_SECONDS = 8.64e12;

const entryFields = {
  item_id: z.union([z.string().min(1), z.number().transform(String)]).optional(),
  text: z.string().min(1).max(10_000).optional(),
  /** Unix seconds or an ISO 8601 date, within the range a JavaScript Date can hold. */
  timestamp: z.union([
    z.number().nonnegative().max(MAX_SECONDS),
    z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected Unix seconds or an ISO date'),
  ]),
};
const exactlyOne = [
  (e: { item_id?: string; text?: string }) => (e.item_id === undefined) !== (e.text === undefined),
  { message: 'give exactly one of item_id and text' },
] as const;

/** A history entry as users give it: a known item id or free text, with a time. */
export const historyEntrySchema = z
  .object(entryFields)
  .strict()
  .refine(...exactlyOne);

/** The same entry with the time optional (the service takes the time of the request). */
export const historyEntryOptionalTimeSchema = z
  .object({ ...entryFields, timestamp: entryFields.timestamp.optional() })
  .strict()
  .refine(...exactlyOne);

export type HistoryEntryInput = z.infer<typeof historyEntrySchema>;
export type HistoryEntryOptionalTime = z.infer<typeof historyEntryOptionalTimeSchema>;

export function seconds(t: number | string): number {
  return typeof t === 'number' ? t : Date.parse(t) / 1000;
}

/**
 * Resolves entries against the known items (a dataset's, or the service's index with its run-time
 * additions), oldest first. Unknown item ids are errors naming where they came from (`where(i)`),
 * never silently dropped.
 */
export function resolveHistory(
  ds: { items: readonly Item[]; itemIndex: ReadonlyMap<string, number> },
  entries: readonly HistoryEntryInput[],
  where: (i: number) => string,
): HistoryEntry[] {
  const resolved = entries.map((e, i): HistoryEntry => {
    const timestamp = seconds(e.timestamp);
    if (e.text !== undefined) return { text: e.text, timestamp };
    const idx = ds.itemIndex.get(e.item_id!);
    if (idx === undefined)
      throw new UserError(
        `${where(i)}: item_id "${e.item_id}" is not an item of this workspace (give it as {"text": ...} instead)`,
      );
    return { item: ds.items[idx], timestamp };
  });
  // Stable: equal times keep the given order.
  return resolved
    .map((e, i) => [e, i] as const)
    .sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1])
    .map(([e]) => e);
}

/** Reads a JSON-lines history file: one {"item_id" | "text", "timestamp"} per line. */
export function readHistoryFile(file: string): { entries: HistoryEntryInput[]; where: (i: number) => string } {
  const text = readTextFile(file, `--history ${file}`);
  const name = basename(file);
  const entries: HistoryEntryInput[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new UserError(
        `${name} line ${i + 1}: ${textProblem(line) ?? `not valid JSON (${(err as Error).message})`}`,
      );
    }
    const problem = parsedTextProblem(line, json);
    if (problem) throw new UserError(`${name} line ${i + 1}: ${problem}`);
    const parsed = historyEntrySchema.safeParse(json);
    if (!parsed.success) {
      throw new UserError(`${name} line ${i + 1}: ${formatIssue(parsed.error)}`);
    }
    entries.push(parsed.data);
    lines.push(i + 1);
  });
  if (!entries.length)
    throw new UserError(`--history ${file}: no entries (expected JSON lines {"item_id" or "text", "timestamp"})`);
  return { entries, where: (i) => `${name} line ${lines[i]}` };
}
