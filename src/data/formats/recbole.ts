import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { findFile } from './lines.js';
import { parsePythonLiteral } from './pyliteral.js';
import type { DataSource, SourceItem } from './source.js';
import { columnAt, readTable, tableInteractions, type ColumnMap, type TableHeader, type TableLayout } from './table.js';
import type { TimestampUnit } from './timestamps.js';

/** The field types of RecBole's atomic files. */
export const RECBOLE_TYPES = ['token', 'token_seq', 'float', 'float_seq'] as const;
type RecboleType = (typeof RECBOLE_TYPES)[number];

/** RecBole's default field names (USER_ID_FIELD, ITEM_ID_FIELD, TIME_FIELD, RATING_FIELD). */
export const RECBOLE_COLUMNS: Required<ColumnMap> = {
  user: 'user_id',
  item: 'item_id',
  time: 'timestamp',
  rating: 'rating',
};

/**
 * The item fields read from a `.item` file, by role; the first field present of each list is
 * used (the names of RecBole's own conversions: ml-100k, ml-1m, Amazon, Yelp, Book-Crossing,
 * Anime, Steam). Every other field is reported as not read.
 */
export const RECBOLE_ITEM_FIELDS = {
  title: ['title', 'movie_title', 'movie_name', 'item_name', 'name', 'book_title', 'app_name'],
  categories: ['categories', 'category', 'genre', 'genres', 'class', 'type'],
  brand: ['brand', 'store', 'publisher'],
  description: ['description'],
} as const;

/** The names of RecBole atomic files (gzipped or not). */
export const RECBOLE_FILE = /\.(inter|item|user|kg|link|net)(\.gz)?$/;

/** The atomic files of one dataset in `dir`: its `.inter`, the `.item` of the same name if any. */
export function findRecbole(dir: string): { inter: string; item?: string; unread: string[] } | undefined {
  const files = readdirSync(dir);
  const inters = files.filter((f) => /\.inter(\.gz)?$/.test(f));
  if (inters.length === 0) return undefined;
  if (inters.length > 1)
    throw new UserError(
      `--data ${dir}: a RecBole folder needs exactly one .inter file, found ${inters.join(', ')} (r2end makes its own leave-one-out split from one file)`,
    );
  const base = inters[0].replace(/\.inter(\.gz)?$/, '');
  const item = findFile(dir, `${base}.item`);
  const unread = files.filter((f) => RECBOLE_FILE.test(f) && f !== inters[0] && join(dir, f) !== item);
  return { inter: join(dir, inters[0]), item, unread };
}

/**
 * `name:type` header cells as names; a cell without a type, or of a type RecBole does not have,
 * is an error naming the column. `types` receives each column's type.
 */
function typedHeader(types: Map<string, RecboleType>) {
  return (cells: string[], where: string): string[] =>
    cells.map((cell) => {
      const colon = cell.lastIndexOf(':');
      const name = colon < 0 ? cell : cell.slice(0, colon);
      const type = cell.slice(colon + 1);
      if (colon < 0)
        throw new UserError(
          `${where}: column "${cell}" has no type (a RecBole header names each column as name:type, type one of ${RECBOLE_TYPES.join(', ')})`,
        );
      if (!(RECBOLE_TYPES as readonly string[]).includes(type))
        throw new UserError(
          `${where}: column "${name}" has type "${type}", expected one of ${RECBOLE_TYPES.join(', ')}`,
        );
      types.set(name, type as RecboleType);
      return name;
    });
}

/**
 * RecBole atomic files: `NAME.inter` (tab-separated, typed header) with optional `NAME.item`.
 * Interactions need a user, an item and a timestamp column (RecBole's default names, or those
 * `columns` gives); a rating column is read when present.
 */
export function recboleSource(dir: string, columns: Partial<ColumnMap>, unit: TimestampUnit): DataSource {
  const found = findRecbole(dir);
  if (!found) throw new UserError(`--data ${dir}: no RecBole .inter file`);
  const map: ColumnMap = { ...RECBOLE_COLUMNS, ...columns };
  const notes = found.unread.length
    ? [`not read: ${found.unread.join(', ')} (r2end reads the .inter and .item files)`]
    : [];
  const types = new Map<string, RecboleType>();
  const wanted: Array<[string, RecboleType]> = [
    [map.user, 'token'],
    [map.item, 'token'],
    [map.time, 'float'],
    [map.rating!, 'float'],
  ];
  const header = typedHeader(types);
  const layout: TableLayout = {
    separator: '\t',
    exact: true,
    expected: 'a header line of name:type columns and rows',
    header: (cells, where) => {
      const names = header(cells, where);
      for (const [col, type] of wanted)
        if (types.has(col) && types.get(col) !== type)
          throw new UserError(`${where}: column "${col}" is ${types.get(col)}, expected ${type}`);
      return names;
    },
  };
  const hint = `expected ${map.user}:token, ${map.item}:token, ${map.time}:float[, ${map.rating}:float]; other names with --columns user=...,item=...,time=...`;
  return {
    format: 'recbole',
    interactionsFile: found.inter,
    items: found.item ? { file: found.item, read: () => readItems(found.item!, map.item, notes) } : null,
    notes,
    rows: () =>
      tableInteractions(found.inter, layout, {
        map,
        optionalRating: columns.rating === undefined,
        hint,
        unit,
        notes,
      }),
  };
}

async function* readItems(file: string, idColumn: string, notes: string[]): AsyncGenerator<SourceItem> {
  const name = basename(file);
  const types = new Map<string, RecboleType>();
  let id = 0;
  let h!: TableHeader;
  const roles = new Map<keyof typeof RECBOLE_ITEM_FIELDS, number>();
  const onHeader = (header: TableHeader) => {
    h = header;
    id = columnAt(h, name, idColumn, `the item id column, named as in the .inter file`);
    for (const [role, fields] of Object.entries(RECBOLE_ITEM_FIELDS)) {
      const field = fields.find((f) => h.index.has(f) && types.get(f)?.startsWith('token'));
      if (field) roles.set(role as keyof typeof RECBOLE_ITEM_FIELDS, h.index.get(field)!);
    }
    const used = new Set([id, ...roles.values()]);
    const unread = h.names.filter((_, i) => !used.has(i));
    if (unread.length) notes.push(`${name}: fields not read: ${unread.join(', ')}`);
  };
  const layout: TableLayout = {
    separator: '\t',
    exact: true,
    header: typedHeader(types),
    expected: 'a header line of name:type columns and one item per line',
  };
  for await (const { line, values } of readTable(file, layout, onHeader)) {
    const itemId = values[id];
    if (!itemId) throw new UserError(`${name} line ${line}: field "${idColumn}" is empty`);
    // Values as written (a title may end in a space); brand and description empty are none.
    const text = (role: keyof typeof RECBOLE_ITEM_FIELDS) => {
      const at = roles.get(role);
      return at === undefined ? '' : values[at];
    };
    const at = roles.get('categories');
    const categories = at === undefined ? [] : parseCategories(values[at], types.get(h.names[at])!);
    yield {
      item: {
        id: itemId,
        title: text('title'),
        categories: categories.length ? [categories] : [],
        brand: text('brand').trim() || null,
        description: text('description').trim() || null,
      },
      line,
    };
  }
}

/**
 * A categories value: a token is one category; a token_seq is written by RecBole's Amazon files
 * as Python string literals (`'Beauty', 'Skin Care'`), by its other conversions as
 * space-separated tokens (`Action Comedy`).
 */
export function parseCategories(value: string, type: RecboleType): string[] {
  const v = value.trim();
  if (type === 'token') return v ? [v] : [];
  if (v.startsWith("'") || v.startsWith('"')) {
    try {
      const list = parsePythonLiteral(`[${v}]`);
      if (Array.isArray(list) && list.every((s) => typeof s === 'string'))
        return list.map((s: string) => s.trim()).filter(Boolean);
    } catch {
      // Not a list of literals after all: tokens that start with a quote.
    }
  }
  return v.split(' ').filter(Boolean);
}

/** Categories as RecBole's Amazon files write them: each a Python string literal, `, `-separated. */
export function formatCategories(categories: readonly string[]): string {
  return categories.map(pythonString).join(', ');
}

function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  return quote + s.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`) + quote;
}
