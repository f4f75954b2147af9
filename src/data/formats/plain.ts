import { basename, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import { textProblem } from '../../util/utf8.js';
import { formatIssue } from '../../util/zod.js';
import { splitCsvLine } from './csv.js';
import { findFile, readLines } from './lines.js';
import { checkStrings } from './records.js';
import type { DataSource, SourceItem, SourceRow } from './source.js';
import { parseTimestamp, type TimestampUnit } from './timestamps.js';

const REQUIRED = ['user_id', 'item_id', 'timestamp'] as const;

/**
 * The plain format: `interactions.csv` (user_id,item_id,timestamp[,rating]) + `items.jsonl`,
 * either of them gzipped (`.gz`) or not.
 */
export function plainSource(dir: string, unit: TimestampUnit = 's'): DataSource {
  const interactionsFile = findFile(dir, 'interactions.csv') ?? join(dir, 'interactions.csv');
  const itemsFile = findFile(dir, 'items.jsonl') ?? join(dir, 'items.jsonl');
  return {
    format: 'plain',
    interactionsFile,
    itemsFile,
    rows: () => readPlainInteractions(interactionsFile, unit),
    items: () => readPlainItems(itemsFile),
  };
}

/** The header's columns by name; a column named twice, or a required one missing, is refused. */
function readHeader(name: string, text: string): { header: string[]; columns: Map<string, number> } {
  const problem = textProblem(text);
  if (problem) throw new UserError(`${name} line 1: the header is ${problem}`);
  const header = splitCsvLine(text).map((h) => h.trim());
  const columns = new Map<string, number>();
  header.forEach((h, i) => {
    if (columns.has(h)) throw new UserError(`${name} line 1: column "${h}" appears twice (header is "${text}")`);
    columns.set(h, i);
  });
  for (const col of REQUIRED) {
    if (!columns.has(col))
      throw new UserError(
        `${name} line 1: missing column "${col}" (header is "${text}"; expected ${REQUIRED.join(',')}[,rating])`,
      );
  }
  return { header, columns };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

async function* readPlainInteractions(file: string, unit: TimestampUnit): AsyncGenerator<SourceRow> {
  const name = basename(file);
  let head: { header: string[]; columns: Map<string, number> } | undefined;
  for await (const [line, text] of readLines(file)) {
    if (!head) {
      head = readHeader(name, text);
      continue;
    }
    if (text.trim() === '') continue;
    const { header, columns } = head;
    const f = splitCsvLine(text);
    if (f.length !== header.length)
      throw new UserError(`${name} line ${line}: ${f.length} fields, expected ${header.length} as in the header`);
    f.forEach((v, i) => {
      const problem = textProblem(v);
      if (problem) throw new UserError(`${name} line ${line}: field "${header[i]}" is ${problem}`);
    });
    const get = (col: string) => f[columns.get(col)!].trim();
    const userId = get('user_id');
    const itemId = get('item_id');
    if (!userId) throw new UserError(`${name} line ${line}: field "user_id" is empty`);
    if (!itemId) throw new UserError(`${name} line ${line}: field "item_id" is empty`);
    const timestamp = parseTimestamp(`${name} line ${line}: field "timestamp"`, get('timestamp'), unit);
    let rating: number | null = null;
    if (columns.has('rating') && get('rating') !== '') {
      if (!DECIMAL.test(get('rating')))
        throw new UserError(`${name} line ${line}: field "rating" is "${get('rating')}", expected a decimal number`);
      rating = Number(get('rating'));
    }
    yield { userId, itemId, timestamp, rating, review: null, line };
  }
  if (!head) throw new UserError(`${name}: file is empty, expected a header line "${REQUIRED.join(',')}" and rows`);
}

const categoriesSchema = z
  .union([z.array(z.array(z.string())), z.array(z.string()).transform((path) => (path.length ? [path] : [])), z.null()])
  .optional()
  .transform((c) => c ?? []);

const itemSchema = z.object({
  item_id: z.union([z.string().min(1), z.number().transform(String)]),
  title: z.string(),
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

async function* readPlainItems(file: string): AsyncGenerator<SourceItem> {
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
  if (!any) throw new UserError(`${name}: file is empty, expected one JSON object per line with item_id and title`);
}
