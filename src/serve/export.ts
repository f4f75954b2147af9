import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, extname } from 'node:path';
import { datasetFingerprint } from '../data/dataset.js';
import { writeAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import type { RecommendationService, Recommended } from './service.js';

/**
 * Batch export: the top-k of every user of the dataset, written to one file. Users are ranked in
 * chunks through the service (the same ranking as `r2end recommend --user`); each finished chunk
 * is appended to a staging file beside the target and recorded, so a killed export resumes after
 * its last recorded chunk, and the target appears only once complete, by one rename.
 */

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** File extensions that name a format (without --format). */
const EXTENSIONS: Record<string, ExportFormat> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

export const CSV_HEADER = 'user_id,rank,item_id,score\n';

/** Users per ranking call and recorded chunk, unless the catalogue is large. */
export const DEFAULT_BATCH = 256;
/** Score floats one chunk may hold for models ranked from full score rows (32 MB). */
const CHUNK_SCORES = 1 << 23;

/**
 * Where an export goes and in which format (`format`, else the extension of `out`), checked
 * before any work is done: the folder exists and is writable, and `out` is not a folder.
 */
export function exportTarget(out: string, format?: string): { out: string; format: ExportFormat } {
  if (out.trim() === '') throw new UserError('--out: empty, expected a file name');
  const folder = dirname(out);
  if (!existsSync(folder)) throw new UserError(`--out ${out}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new UserError(`--out ${out}: ${folder} is not a folder`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserError(`--out ${out}: is a folder, expected a file`);
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new UserError(`--out ${out}: cannot write in ${folder} (${(error as NodeJS.ErrnoException).code})`);
  }
  if (format !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format))
      throw new UserError(`--format ${format}: expected ${EXPORT_FORMATS.join(' or ')}`);
    return { out, format: format as ExportFormat };
  }
  const named = EXTENSIONS[extname(out).toLowerCase()];
  if (named === undefined)
    throw new UserError(
      `--out ${out}: cannot tell the format from its name; name it .jsonl or .csv, or give --format jsonl|csv`,
    );
  return { out, format: named };
}

export interface ExportOptions {
  out: string;
  format: ExportFormat;
  k: number;
  excludeSeen: boolean;
  /**
   * Users ranked per call, then written and recorded at once (default: DEFAULT_BATCH, fewer when
   * their score rows would pass 32 MB).
   */
  batchSize?: number;
  silent?: boolean;
  /** Notes on stderr: resuming, or starting again and why. */
  log?: (line: string) => void;
}

export interface ExportSummary {
  users: number;
  /** Users already written by an earlier, interrupted run. */
  resumedFrom: number;
  bytes: number;
  seconds: number;
}

/** What a staging file was begun with: a run with other settings starts it again. */
interface Settings {
  model: string;
  version: string;
  data: string;
  k: number;
  exclude_seen: boolean;
  format: ExportFormat;
}

/** How a changed setting is named when an export starts again. */
const SETTING_NAMES: Record<keyof Settings, string> = {
  model: '--model',
  version: 'model version',
  data: 'dataset',
  k: '-k',
  exclude_seen: '--exclude-seen',
  format: 'format',
};

/** The record beside the staging file: how many users (in dataset order) and bytes are complete. */
interface Checkpoint {
  settings: Settings;
  users: number;
  bytes: number;
}

/** Writes the top-k of every user of the service's dataset to `options.out` (see the module comment). */
export async function exportRecommendations(
  service: RecommendationService,
  options: ExportOptions,
): Promise<ExportSummary> {
  const start = performance.now();
  const { ds } = service;
  const total = ds.userIds.length;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const staging = `${options.out}.partial`;
  const recordFile = `${staging}.json`;
  const settings: Settings = {
    model: service.model,
    version: service.version,
    data: datasetFingerprint(ds),
    k: options.k,
    exclude_seen: options.excludeSeen,
    format: options.format,
  };
  const chunk =
    options.batchSize ?? Math.max(1, Math.min(DEFAULT_BATCH, Math.floor(CHUNK_SCORES / service.items.count)));
  const resumed = resumePoint(staging, recordFile, settings, total, log);
  let { users: done, bytes } = resumed ?? { users: 0, bytes: 0 };
  const fd = openSync(staging, resumed ? 'r+' : 'w');
  try {
    // A chunk written after the last record (the run was killed before recording it) goes.
    ftruncateSync(fd, bytes);
    const commit = (text: string) => {
      bytes += writeAll(fd, text, bytes);
      fdatasyncSync(fd);
      writeAtomic(recordFile, JSON.stringify({ settings, users: done, bytes } satisfies Checkpoint));
    };
    if (!resumed) commit(options.format === 'csv' ? CSV_HEADER : '');
    const progress = new Progress(`recommend --all ${service.model}`, total, {
      unit: 'users',
      silent: options.silent,
    });
    progress.set(done);
    while (done < total) {
      const users = Array.from({ length: Math.min(chunk, total - done) }, (_, i) => done + i);
      const lists = await service.recommendUsers(users, options.k, options.excludeSeen);
      const text = lists.map((items, j) => formatUser(options.format, ds.userIds[users[j]], items)).join('');
      done += users.length;
      commit(text);
      progress.set(done);
    }
    progress.finish();
  } finally {
    closeSync(fd);
  }
  renameSync(staging, options.out);
  rmSync(recordFile, { force: true });
  return { users: total, resumedFrom: resumed?.users ?? 0, bytes, seconds: (performance.now() - start) / 1000 };
}

/**
 * Where an interrupted export of the same settings stopped, or undefined to start afresh (saying
 * why, when a staging record was there).
 */
function resumePoint(
  staging: string,
  recordFile: string,
  settings: Settings,
  total: number,
  log: (line: string) => void,
): Checkpoint | undefined {
  if (!existsSync(recordFile)) return undefined;
  const again = (why: string) => void log(`r2end recommend: ${staging}: ${why}; starting again`);
  let record: Partial<Checkpoint> | null;
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as Partial<Checkpoint> | null;
  } catch {
    return again(`its record ${recordFile} is unreadable`);
  }
  if (typeof record !== 'object' || record === null)
    return again(`its record ${recordFile} is not one this export wrote`);
  const begun = record.settings;
  const changed = (Object.keys(settings) as Array<keyof Settings>).filter((k) => begun?.[k] !== settings[k]);
  if (changed.length) return again(`begun with other settings (${changed.map((k) => SETTING_NAMES[k]).join(', ')})`);
  const { users, bytes } = record;
  if (!Number.isInteger(users) || users! < 0 || users! > total || !Number.isInteger(bytes) || bytes! < 0)
    return again(`its record ${recordFile} is not one this export wrote`);
  if (!existsSync(staging)) return again('missing (its record is there)');
  if (statSync(staging).size < bytes!) return again('shorter than its record says');
  log(`r2end recommend: resuming ${staging}: ${users} of ${total} users written`);
  return { settings, users: users!, bytes: bytes! };
}

/** One user's recommendations as lines of the format. */
export function formatUser(format: ExportFormat, userId: string, items: readonly Recommended[]): string {
  if (format === 'jsonl')
    return `${JSON.stringify({ user_id: userId, items: items.map(({ item_id, score }) => ({ item_id, score })) })}\n`;
  const user = csvField(userId);
  return items.map((it, r) => `${user},${r + 1},${csvField(it.item_id)},${it.score}\n`).join('');
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes all of `text` at `position`; returns its length in bytes. */
function writeAll(fd: number, text: string, position: number): number {
  const data = Buffer.from(text);
  for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at, position + at);
  return data.length;
}
