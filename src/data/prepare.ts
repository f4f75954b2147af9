import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { amazonSource, findAmazonFiles } from './formats/amazon.js';
import { COLUMNS_FLAG_SHAPE, csvSource } from './formats/csv.js';
import { findFile } from './formats/lines.js';
import { findMovieLens, movieLensSource } from './formats/movielens.js';
import { plainSource } from './formats/plain.js';
import { findRecbole, recboleSource } from './formats/recbole.js';
import type { DataSource, SourceFormat } from './formats/source.js';
import type { ColumnMap } from './formats/table.js';
import type { TimestampUnit } from './formats/timestamps.js';
import { YELP_REVIEWS, yelpSource } from './formats/yelp.js';
import type { DatasetInfo } from './dataset.js';
import type { Item } from './types.js';
import type { Workspace } from './workspace.js';

/** How a dataset is read: its folder (or file), format and what the format leaves open. */
export interface SourceOptions {
  data: string;
  format: SourceFormat | 'auto';
  /** How the numeric timestamps are written; they are stored as Unix seconds. Default: seconds. */
  timestampUnit?: TimestampUnit;
  /** csv: the columns holding user, item, time (and rating); recbole: other names than RecBole's defaults. */
  columns?: Partial<ColumnMap>;
  /** csv: a JSON-lines item file (the plain format's items.jsonl); without it items have only ids. */
  items?: string;
}

export interface PrepareOptions extends SourceOptions {
  kcore: number;
  /** What to do with interactions whose item has no metadata record. */
  missingMeta: 'error' | 'drop';
  name?: string;
}

/** Counts of what was read, filtered (and why) and kept: nothing is dropped unreported. */
export interface PrepareReport {
  format: SourceFormat;
  interactionsFile: string;
  /** null: the dataset has no item file; items are known by their ids. */
  itemsFile: string | null;
  read: { interactions: number; users: number; items: number; metadataRecords: number };
  filtered: {
    duplicateMetadata: number;
    missingMetadata: { interactions: number; items: number };
    kcore: { interactions: number; users: number; items: number; rounds: number };
    tooShortForSplit: { interactions: number; users: number };
  };
  kept: {
    interactions: number;
    users: number;
    items: number;
    withReviews: number;
    withRatings: number;
    untitledItems: number;
    /** Items with no title, categories, brand or description: an empty text for text models. */
    textlessItems: number;
  };
  /** What the reader noticed besides: fields it did not read, lines read in a fallback encoding. */
  notes: string[];
}

export async function openSource(opts: SourceOptions): Promise<DataSource> {
  const { data } = opts;
  if (data.trim() === '') throw new UserError('--data: empty, expected a dataset folder');
  const path = resolve(data);
  if (!existsSync(path)) throw new UserError(`--data ${data}: not found, expected a dataset folder`);
  const isDir = statSync(path).isDirectory();
  if (!isDir && opts.format !== 'csv')
    throw new UserError(`--data ${data}: not a directory (only --format csv reads a single file)`);
  const format = opts.format === 'auto' ? detectFormat(path) : opts.format;
  if (opts.columns && format !== 'csv' && format !== 'recbole')
    throw new UserError(`--columns: only for --format csv or recbole (this dataset is ${format})`);
  if (opts.items !== undefined && format !== 'csv')
    throw new UserError(`--items: only for --format csv (the ${format} format names its own item file)`);
  const unit = opts.timestampUnit;
  if (unit !== undefined && format === 'yelp')
    throw new UserError(`--timestamp-unit ${unit}: only for numeric timestamps; Yelp has dates`);
  switch (format) {
    case 'plain':
      return plainSource(path, unit);
    case 'amazon':
    case 'amazon2023':
      return amazonSource(path, opts.format === 'auto' ? 'auto' : format, unit);
    case 'yelp':
      return yelpSource(path);
    case 'recbole':
      return recboleSource(path, opts.columns ?? {}, unit ?? 's');
    case 'movielens':
      return movieLensSource(path, unit ?? 's');
    case 'csv':
      if (!opts.columns) throw new UserError(`--format csv needs --columns ${COLUMNS_FLAG_SHAPE}`);
      return csvSource(path, opts.columns as ColumnMap, opts.items, unit ?? 's');
  }
}

/** The format of a dataset folder, from the files it holds (an Amazon release from its first review). */
function detectFormat(dir: string): SourceFormat {
  if (findFile(dir, 'interactions.csv')) return 'plain';
  if (findFile(dir, YELP_REVIEWS)) return 'yelp';
  if (findFile(dir, 'items.jsonl'))
    throw new UserError(`--data ${dir}: items.jsonl but no interactions.csv (the plain format needs both)`);
  if (findRecbole(dir)) return 'recbole';
  if (findMovieLens(dir)) return 'movielens';
  if (findAmazonFiles(dir)) return 'amazon';
  throw new UserError(
    `--data ${dir}: no known dataset files (plain: interactions.csv + items.jsonl; amazon, amazon2023: a reviews *.json[l][.gz] + meta_*.json[l][.gz]; yelp: ${YELP_REVIEWS}; recbole: NAME.inter [+ NAME.item]; movielens: ratings.dat + movies.dat, ratings.csv + movies.csv or u.data + u.item; any other CSV: --format csv --columns ...)`,
  );
}

/** A growable typed column, so multi-million-row dumps stay compact in memory. */
class Column<T extends Int32Array | Float64Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1 << 16);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  get values(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/**
 * Reads a dataset, filters it (metadata, iterative k-core, at least 3 interactions for the
 * leave-one-out split), orders each user's interactions chronologically (file order breaks
 * ties) and writes items, users and split interactions to the workspace.
 */
export async function prepare(
  ws: Workspace,
  opts: PrepareOptions,
  log: (line: string) => void = () => {},
): Promise<PrepareReport> {
  const source = await openSource(opts);

  // Review text can be gigabytes: it goes to a staging table instead of memory (dropped on failure).
  ws.db.exec(
    'DROP TABLE IF EXISTS staging_reviews; CREATE TABLE staging_reviews (row INTEGER PRIMARY KEY, review TEXT NOT NULL)',
  );
  try {
    return await readFilterWrite(ws, opts, source, log);
  } catch (error) {
    ws.db.exec('DROP TABLE IF EXISTS staging_reviews');
    throw error;
  }
}

async function readFilterWrite(
  ws: Workspace,
  opts: PrepareOptions,
  source: DataSource,
  log: (line: string) => void,
): Promise<PrepareReport> {
  const userIds = new Map<string, number>();
  const itemIds = new Map<string, number>();
  const users = new Column((n) => new Int32Array(n));
  const items = new Column((n) => new Int32Array(n));
  const times = new Column((n) => new Float64Array(n));
  const ratings = new Column((n) => new Float64Array(n));
  const lines = new Column((n) => new Int32Array(n));
  const stageReview = ws.db.prepare('INSERT INTO staging_reviews (row, review) VALUES (?, ?)');
  let pending: Array<[number, string]> = [];
  const flushReviews = ws.db.transaction((batch: Array<[number, string]>) => {
    for (const [row, review] of batch) stageReview.run(row, review);
  });

  log(`reading ${source.interactionsFile} (${source.format})`);
  for await (const r of source.rows()) {
    const row = users.length;
    let u = userIds.get(r.userId);
    if (u === undefined) userIds.set(r.userId, (u = userIds.size));
    let i = itemIds.get(r.itemId);
    if (i === undefined) itemIds.set(r.itemId, (i = itemIds.size));
    users.push(u);
    items.push(i);
    times.push(r.timestamp);
    ratings.push(r.rating ?? NaN);
    lines.push(r.line);
    if (r.review !== null) {
      pending.push([row, r.review]);
      if (pending.length >= 10_000) {
        flushReviews(pending);
        pending = [];
      }
    }
  }
  flushReviews(pending);
  const n = users.length;
  const interactionsName = basename(source.interactionsFile);
  if (n === 0) throw new UserError(`${interactionsName}: no interactions, only a header line`);

  const meta = new Array<Item | undefined>(itemIds.size);
  const metaOrder: number[] = [];
  let metadataRecords = 0;
  let duplicateMetadata = 0;
  if (source.items) {
    log(`reading ${source.items.file}`);
    for await (const { item } of source.items.read()) {
      metadataRecords++;
      const i = itemIds.get(item.id);
      if (i === undefined) continue;
      if (meta[i]) {
        duplicateMetadata++;
        continue;
      }
      meta[i] = item;
      metaOrder.push(i);
    }
  } else {
    // No item file: every item is known by its id alone, numbered in order of first appearance.
    for (const [id, i] of itemIds) {
      meta[i] = { id, title: '', categories: [], brand: null, description: null };
      metaOrder.push(i);
    }
  }
  const itemsName = source.items ? basename(source.items.file) : '';

  const keep = new Uint8Array(n).fill(1);
  const itemNames = [...itemIds.keys()];
  let missingInteractions = 0;
  const missingItems = new Set<number>();
  for (let r = 0; r < n; r++) {
    const i = items.values[r];
    if (meta[i]) continue;
    if (opts.missingMeta === 'error') {
      throw new UserError(
        `${interactionsName} line ${lines.values[r]}: item "${itemNames[i]}" has no metadata in ${itemsName} (use --missing-meta drop to drop such interactions)`,
      );
    }
    keep[r] = 0;
    missingInteractions++;
    missingItems.add(i);
  }
  if (missingInteractions === n)
    throw new UserError(
      `--missing-meta drop removed every interaction: no item of ${interactionsName} has a record in ${itemsName}`,
    );

  const densest = maxDegrees(users.values, items.values, keep, userIds.size, itemIds.size);
  const kcore = kcoreFilter(users.values, items.values, keep, userIds.size, itemIds.size, opts.kcore);
  if (kcore.interactions === n - missingInteractions)
    throw new UserError(
      `--kcore ${opts.kcore} removed every user (the densest item has ${densest.item} interactions, the most active user ${densest.user})`,
    );

  // Group kept rows by user, then sort each user's rows by time; row order breaks ties.
  const perUser: number[][] = Array.from({ length: userIds.size }, () => []);
  for (let r = 0; r < n; r++) if (keep[r]) perUser[users.values[r]].push(r);
  let shortUsers = 0;
  let shortInteractions = 0;
  const t = times.values;
  for (const rows of perUser) {
    if (rows.length > 0 && rows.length < 3) {
      shortUsers++;
      shortInteractions += rows.length;
      rows.length = 0;
    }
    rows.sort((a, b) => t[a] - t[b] || a - b);
  }
  if (perUser.every((rows) => rows.length === 0))
    throw new UserError(
      `no user has the 3 interactions a leave-one-out split needs (training, validation, test) after the ${opts.kcore}-core`,
    );

  // Items are numbered in metadata-file order, users in order of first appearance.
  const itemCount = new Int32Array(itemIds.size);
  for (const rows of perUser) for (const r of rows) itemCount[items.values[r]]++;
  const itemIdx = new Int32Array(itemIds.size).fill(-1);
  const keptItems: Item[] = [];
  for (const i of metaOrder) {
    if (itemCount[i] === 0) continue;
    itemIdx[i] = keptItems.length;
    keptItems.push(meta[i]!);
  }

  const report = write(
    ws,
    perUser,
    keptItems,
    itemIdx,
    { users: users.values, items: items.values, times: t, ratings: ratings.values },
    [...userIds.keys()],
  );
  const info: DatasetInfo = {
    // A single CSV file names the dataset without its extension.
    name: opts.name ?? basename(resolve(opts.data)).replace(/\.(csv|tsv)(\.gz)?$/, ''),
    source: resolve(opts.data),
    format: source.format,
    kcore: opts.kcore,
    users: report.users,
    items: keptItems.length,
    interactions: report.interactions,
  };
  ws.setMeta('dataset', info);
  return {
    format: source.format,
    interactionsFile: source.interactionsFile,
    itemsFile: source.items?.file ?? null,
    read: { interactions: n, users: userIds.size, items: itemIds.size, metadataRecords },
    filtered: {
      duplicateMetadata,
      missingMetadata: { interactions: missingInteractions, items: missingItems.size },
      kcore,
      tooShortForSplit: { interactions: shortInteractions, users: shortUsers },
    },
    kept: {
      interactions: report.interactions,
      users: report.users,
      items: keptItems.length,
      withReviews: report.withReviews,
      withRatings: report.withRatings,
      untitledItems: keptItems.filter((it) => it.title.trim() === '').length,
      textlessItems: keptItems.filter(isTextless).length,
    },
    notes: source.notes,
  };
}

/** An item with nothing a text model can read: no title, category, brand or description. */
function isTextless(it: Item): boolean {
  return (
    it.title.trim() === '' &&
    it.categories.every((path) => path.every((c) => c.trim() === '')) &&
    !it.brand?.trim() &&
    !it.description?.trim()
  );
}

/**
 * Iterative k-core: removes users and items with fewer than k interactions until none is left.
 * Clears `keep` for removed rows; returns what it removed.
 */
export function kcoreFilter(
  users: Int32Array,
  items: Int32Array,
  keep: Uint8Array,
  nUsers: number,
  nItems: number,
  k: number,
) {
  const before = countKept(keep);
  const uDeg = new Int32Array(nUsers);
  const iDeg = new Int32Array(nItems);
  for (let r = 0; r < keep.length; r++) {
    if (!keep[r]) continue;
    uDeg[users[r]]++;
    iDeg[items[r]]++;
  }
  const usersBefore = uDeg.filter((d) => d > 0).length;
  const itemsBefore = iDeg.filter((d) => d > 0).length;
  let rounds = 0;
  for (let changed = k > 1; changed;) {
    changed = false;
    rounds++;
    const uLow = uDeg.map((d) => (d > 0 && d < k ? 1 : 0));
    const iLow = iDeg.map((d) => (d > 0 && d < k ? 1 : 0));
    for (let r = 0; r < keep.length; r++) {
      if (!keep[r] || !(uLow[users[r]] || iLow[items[r]])) continue;
      keep[r] = 0;
      uDeg[users[r]]--;
      iDeg[items[r]]--;
      changed = true;
    }
  }
  return {
    interactions: before - countKept(keep),
    users: usersBefore - uDeg.filter((d) => d > 0).length,
    items: itemsBefore - iDeg.filter((d) => d > 0).length,
    rounds,
  };
}

/** The most interactions of one user and of one item among the kept rows. */
function maxDegrees(users: Int32Array, items: Int32Array, keep: Uint8Array, nUsers: number, nItems: number) {
  const uDeg = new Int32Array(nUsers);
  const iDeg = new Int32Array(nItems);
  for (let r = 0; r < keep.length; r++) {
    if (!keep[r]) continue;
    uDeg[users[r]]++;
    iDeg[items[r]]++;
  }
  const max = (a: Int32Array) => a.reduce((m, d) => Math.max(m, d), 0);
  return { user: max(uDeg), item: max(iDeg) };
}

function countKept(keep: Uint8Array): number {
  let c = 0;
  for (const v of keep) c += v;
  return c;
}

interface Columns {
  users: Int32Array;
  items: Int32Array;
  times: Float64Array;
  ratings: Float64Array;
}

function write(
  ws: Workspace,
  perUser: number[][],
  keptItems: Item[],
  itemIdx: Int32Array,
  cols: Columns,
  userNames: string[],
) {
  const db = ws.db;
  const review = db.prepare('SELECT review FROM staging_reviews WHERE row = ?').pluck();
  let interactions = 0;
  let withReviews = 0;
  let withRatings = 0;
  let nUsers = 0;
  db.transaction(() => {
    db.exec('DELETE FROM interactions; DELETE FROM users; DELETE FROM items;');
    const insItem = db.prepare(
      'INSERT INTO items (idx, item_id, title, categories, brand, description) VALUES (?, ?, ?, ?, ?, ?)',
    );
    keptItems.forEach((it, idx) =>
      insItem.run(idx, it.id, it.title, JSON.stringify(it.categories), it.brand, it.description),
    );
    const insUser = db.prepare('INSERT INTO users (idx, user_id) VALUES (?, ?)');
    const insRow = db.prepare(
      'INSERT INTO interactions (user_idx, pos, item_idx, ts, rating, review, split) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (let u = 0; u < perUser.length; u++) {
      const rows = perUser[u];
      if (rows.length === 0) continue;
      const uIdx = nUsers++;
      insUser.run(uIdx, userNames[u]);
      rows.forEach((r, pos) => {
        const split = pos === rows.length - 1 ? 'test' : pos === rows.length - 2 ? 'valid' : 'train';
        const rating = Number.isNaN(cols.ratings[r]) ? null : cols.ratings[r];
        const text = (review.get(r) as string | undefined) ?? null;
        if (text !== null) withReviews++;
        if (rating !== null) withRatings++;
        insRow.run(uIdx, pos, itemIdx[cols.items[r]], cols.times[r], rating, text, split);
        interactions++;
      });
    }
    db.exec('DROP TABLE staging_reviews');
  })();
  return { interactions, users: nUsers, withReviews, withRatings };
}
