import { basename, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import { textProblem } from '../../util/utf8.js';
import { formatIssue } from '../../util/zod.js';
import { findFile, readLines } from './lines.js';
import { checkStrings } from './records.js';
import type { DataSource, SourceItem } from './source.js';
import { tableInteractions } from './table.js';
import type { TimestampUnit } from './timestamps.js';

const REQUIRED = ['user_id', 'item_id', 'timestamp'] as const;

/**
 * The plain format: `interactions.csv` (user_id,item_id,timestamp[,rating]) + `items.jsonl`,
 * either of them gzipped (`.gz`) or not.
 */
export function plainSource(dir: string, unit: TimestampUnit = 's'): DataSource {
  const interactionsFile = findFile(dir, 'interactions.csv') ?? join(dir, 'interactions.csv');
  const itemsFile = findFile(dir, 'items.jsonl') ?? join(dir, 'items.jsonl');
  const notes: string[] = [];
  const [user, item, time] = REQUIRED;
  return {
    format: 'plain',
    interactionsFile,
    items: { file: itemsFile, read: () => plainItems(itemsFile) },
    notes,
    rows: () =>
      tableInteractions(
        interactionsFile,
        { separator: ',', expected: `a header line "${REQUIRED.join(',')}" and rows` },
        {
          map: { user, item, time, rating: 'rating' },
          optionalRating: true,
          hint: `expected ${REQUIRED.join(',')}[,rating]`,
          unit,
          notes,
        },
      ),
  };
}

const categoriesSchema = z
  .union([z.array(z.array(z.string())), z.array(z.string()).transform((path) => (path.length ? [path] : [])), z.null()])
  .optional()
  .transform((c) => c ?? []);

const itemSchema = z.object({
  item_id: z.union([z.string().min(1), z.number().transform(String)], {
    error: (issue) => `${issue.input === undefined ? 'missing' : 'invalid'}, expected a non-empty string or a number`,
  }),
  // Absent or null: an item without a title (ID models need none; text models use the other fields).
  title: z
    .string()
    .nullable()
    .optional()
    .transform((t) => t ?? ''),
  categories: categoriesSchema,
  brand: z
    .string()
    .nullable()
    .optional()
    .transform((b) => b ?? null),
  description: z
    .string()
    .nullable()
    .optional()
    .transform((d) => d ?? null),
});

/** Item records from a JSON-lines file: `{"item_id", "title"?, "categories"?, "brand"?, "description"?}`. */
export async function* plainItems(file: string): AsyncGenerator<SourceItem> {
  const name = basename(file);
  let any = false;
  for await (const [line, text] of readLines(file)) {
    if (text.trim() === '') continue;
    any = true;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${name} line ${line}: ${textProblem(text) ?? `not valid JSON (${(err as Error).message})`}`);
    }
    checkStrings(name, line, text, json);
    const parsed = itemSchema.safeParse(json);
    if (!parsed.success) throw new UserError(`${name} line ${line}: ${formatIssue(parsed.error)}`);
    const { item_id, title, categories, brand, description } = parsed.data;
    yield { item: { id: item_id, title, categories, brand, description }, line };
  }
  if (!any) throw new UserError(`${name}: file is empty, expected one JSON object per line with an item_id`);
}
