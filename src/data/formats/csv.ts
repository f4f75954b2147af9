import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { plainItems } from './plain.js';
import type { DataSource } from './source.js';
import { tableInteractions, type ColumnMap } from './table.js';
import type { TimestampUnit } from './timestamps.js';

const COLUMN_KEYS = ['user', 'item', 'time', 'rating'] as const;
export const COLUMNS_FLAG_SHAPE = 'user=COLUMN,item=COLUMN,time=COLUMN[,rating=COLUMN]';

/**
 * Parses `--columns user=uid,item=sku,time=ts[,rating=stars]`: which header column holds each
 * field. `required` lists the keys that must be named (a RecBole file has defaults for all).
 */
export function parseColumnMap(text: string, required: readonly string[]): Partial<ColumnMap> {
  const out: Partial<ColumnMap> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (eq < 0 || column === '')
      throw new UserError(`--columns ${text}: "${part}" is not KEY=COLUMN (expected ${COLUMNS_FLAG_SHAPE})`);
    if (!(COLUMN_KEYS as readonly string[]).includes(key))
      throw new UserError(`--columns ${text}: unknown key "${key}" (expected ${COLUMN_KEYS.join(', ')})`);
    if (out[key as keyof ColumnMap] !== undefined) throw new UserError(`--columns ${text}: "${key}" is named twice`);
    out[key as keyof ColumnMap] = column;
  }
  const missing = required.filter((k) => out[k as keyof ColumnMap] === undefined);
  if (missing.length)
    throw new UserError(
      `--columns ${text}: names no column for ${missing.join(', ')} (expected ${COLUMNS_FLAG_SHAPE})`,
    );
  return out;
}

const TABLE_FILE = /\.(csv|tsv)(\.gz)?$/;

/** The table file `--data` names: the file itself, or the one .csv/.tsv (gzipped or not) in a folder. */
function findTable(data: string): string {
  if (!statSync(data).isDirectory()) return data;
  const files = readdirSync(data).filter((f) => TABLE_FILE.test(f));
  if (files.length !== 1)
    throw new UserError(
      `--data ${data}: --format csv needs the file, or a folder with exactly one .csv or .tsv file; found ${files.length ? files.join(', ') : 'none'}`,
    );
  return join(data, files[0]);
}

/**
 * Any CSV (or tab-separated .tsv) file of interactions with a header line, its columns named by
 * `columns`; items from a JSON-lines file like the plain format's items.jsonl, or none (then
 * items are known by their ids only). Timestamps are numbers in `unit` or ISO-8601 dates.
 */
export function csvSource(
  data: string,
  columns: ColumnMap,
  items: string | undefined,
  unit: TimestampUnit,
): DataSource {
  const file = findTable(data);
  const separator = /\.tsv(\.gz)?$/.test(file) ? '\t' : ',';
  const notes: string[] = [];
  const shape = [columns.user, columns.item, columns.time, columns.rating].filter(Boolean).join(separator);
  return {
    format: 'csv',
    interactionsFile: file,
    items: items === undefined ? null : { file: items, read: () => plainItems(items) },
    notes,
    rows: () =>
      tableInteractions(
        file,
        { separator, expected: `a header line naming the columns (${shape}) and rows` },
        { map: columns, hint: `named by --columns ${columnsFlag(columns)}`, unit, dates: true, notes },
      ),
  };
}

const columnsFlag = (c: ColumnMap) =>
  COLUMN_KEYS.filter((k) => c[k] !== undefined)
    .map((k) => `${k}=${c[k]}`)
    .join(',');
