import { basename } from 'node:path';
import { UserError } from '../../util/errors.js';
import { textProblem } from '../../util/utf8.js';
import { readLines } from './lines.js';
import type { SourceRow } from './source.js';
import { parseTimestamp, type TimestampUnit } from './timestamps.js';

/** Splits one CSV line (RFC 4180 quoting: "a,b" and "" inside quotes). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** How a delimited text file is laid out. */
export interface TableLayout {
  /** ',' splits with CSV quoting ("a,b"); any other separator ('\t', '|', '::') splits as it is. */
  separator: string;
  /** The column names of a file without a header line (MovieLens .dat); otherwise line 1 names them. */
  columns?: readonly string[];
  /** Column names from the header's cells (RecBole's `name:type`); default: the cells as they are. */
  header?: (cells: string[], where: string) => string[];
  /** How a line read as UTF-8 becomes text (a Latin-1 fallback); default: as it is. */
  decode?: (text: string) => string;
  /** Keep spaces around values (RecBole tokens are exact); default: trim them. */
  exact?: boolean;
  /** What an empty file should have held, for its error message. */
  expected: string;
}

/** The columns of a table: names in file order, their positions, and line 1 as written. */
export interface TableHeader {
  names: string[];
  index: Map<string, number>;
  /** The header line (or the layout's columns joined), for messages. */
  text: string;
}

export interface TableRow {
  /** The file's name, for messages. */
  name: string;
  line: number;
  /** The values, one per column, checked to be UTF-8. */
  values: string[];
}

/**
 * Streams a delimited text file (gzipped or not) as rows of values. The header is checked once
 * (UTF-8, no column named twice) and given to `onHeader` before the first row; every row must
 * have as many values as there are columns. Blank lines are skipped; an empty file is an error.
 */
export async function* readTable(
  file: string,
  layout: TableLayout,
  onHeader: (header: TableHeader, name: string) => void,
): AsyncGenerator<TableRow> {
  const name = basename(file);
  const split = (text: string) => (layout.separator === ',' ? splitCsvLine(text) : text.split(layout.separator));
  let header: TableHeader | undefined;
  if (layout.columns) {
    header = toHeader(name, [...layout.columns], layout.columns.join(layout.separator));
    onHeader(header, name);
  }
  let any = false;
  for await (const [line, raw] of readLines(file)) {
    const text = layout.decode ? layout.decode(raw) : raw;
    if (!header) {
      any = true;
      const problem = textProblem(text);
      if (problem) throw new UserError(`${name} line ${line}: the header is ${problem}`);
      const cells = split(text).map((c) => c.trim());
      header = toHeader(name, layout.header ? layout.header(cells, `${name} line ${line}`) : cells, text);
      onHeader(header, name);
      continue;
    }
    if (text.trim() === '') continue;
    any = true;
    const values = split(text);
    if (values.length !== header.names.length)
      throw new UserError(
        layout.columns
          ? `${name} line ${line}: ${values.length} field${values.length === 1 ? '' : 's'} separated by "${layout.separator}", expected ${header.names.length} (${header.text})`
          : `${name} line ${line}: ${values.length} fields, expected ${header.names.length} as in the header`,
      );
    values.forEach((v, i) => {
      const problem = textProblem(v);
      if (problem) throw new UserError(`${name} line ${line}: field "${header!.names[i]}" is ${problem}`);
      if (!layout.exact) values[i] = v.trim();
    });
    yield { name, line, values };
  }
  if (!any) throw new UserError(`${name}: file is empty, expected ${layout.expected}`);
}

function toHeader(name: string, names: string[], text: string): TableHeader {
  const index = new Map<string, number>();
  names.forEach((h, i) => {
    if (index.has(h)) throw new UserError(`${name} line 1: column "${h}" appears twice (header is "${text}")`);
    index.set(h, i);
  });
  return { names, index, text };
}

/** The position of column `col`; a header without it is an error naming the column and the header. */
export function columnAt(h: TableHeader, name: string, col: string, hint: string): number {
  const i = h.index.get(col);
  if (i === undefined) throw new UserError(`${name} line 1: missing column "${col}" (header is "${h.text}"; ${hint})`);
  return i;
}

/** Which columns hold an interaction's user, item, time and (optionally) rating. */
export interface ColumnMap {
  user: string;
  item: string;
  time: string;
  rating?: string;
}

/** How a table's rows become interactions. */
export interface InteractionColumns {
  map: ColumnMap;
  /** The rating column is read when the header has it, not required (the plain format's). */
  optionalRating?: boolean;
  /** Said after a missing column, e.g. `expected user_id,item_id,timestamp[,rating]`. */
  hint: string;
  unit: TimestampUnit;
  /** ISO-8601 dates are read besides numbers. */
  dates?: boolean;
  /** Where to say which columns were not read (once, from the header). */
  notes: string[];
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The interactions of a table, in file order; each mapped column must be in the header. */
export async function* tableInteractions(
  file: string,
  layout: TableLayout,
  spec: InteractionColumns,
): AsyncGenerator<SourceRow> {
  let at: { user: number; item: number; time: number; rating: number } | undefined;
  const { map } = spec;
  const find = (h: TableHeader, name: string, col: string) => columnAt(h, name, col, spec.hint);
  const onHeader = (h: TableHeader, name: string) => {
    at = {
      user: find(h, name, map.user),
      item: find(h, name, map.item),
      time: find(h, name, map.time),
      rating:
        map.rating === undefined || (spec.optionalRating && !h.index.has(map.rating)) ? -1 : find(h, name, map.rating),
    };
    const used = new Set(Object.values(at));
    const unread = h.names.filter((_, i) => !used.has(i));
    if (unread.length) spec.notes.push(`${name}: columns not read: ${unread.join(', ')}`);
  };
  for await (const { name, line, values } of readTable(file, layout, onHeader)) {
    const where = (col: string) => `${name} line ${line}: field "${col}"`;
    const userId = values[at!.user];
    const itemId = values[at!.item];
    if (!userId) throw new UserError(`${where(map.user)} is empty`);
    if (!itemId) throw new UserError(`${where(map.item)} is empty`);
    const timestamp = parseTimestamp(where(map.time), values[at!.time].trim(), spec.unit, spec.dates);
    let rating: number | null = null;
    const r = at!.rating < 0 ? '' : values[at!.rating].trim();
    if (r !== '') {
      if (!DECIMAL.test(r)) throw new UserError(`${where(map.rating!)} is "${r}", expected a decimal number`);
      rating = Number(r);
    }
    yield { userId, itemId, timestamp, rating, review: null, line };
  }
}
