import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/**
 * An experiment's workspace: one directory holding a SQLite database (tables and caches),
 * tensor files and reports. Every stage reads what earlier stages left here.
 */
export class Workspace {
  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
  ) {}

  static readonly DB_FILE = 'r2end.sqlite';

  /** Opens the workspace, creating the directory and schema when `create` is set. */
  static open(dir: string, { create = false } = {}): Workspace {
    const abs = resolve(dir);
    const file = join(abs, Workspace.DB_FILE);
    if (!create && !existsSync(file)) {
      throw new UserError(
        `--work ${dir}: no workspace there (expected ${file}); run \`r2end prepare --work ${dir}\` first`,
      );
    }
    mkdirSync(abs, { recursive: true });
    const db = new Database(file);
    // WAL lets a long job commit often and cheaply, and readers (status, serve) run beside it.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    return new Workspace(abs, db);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, JSON.stringify(value));
  }

  /** Whether `prepare` has filled the dataset tables. */
  isPrepared(): boolean {
    return this.getMeta('dataset') !== undefined;
  }

  close(): void {
    this.db.close();
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  idx INTEGER PRIMARY KEY,
  item_id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  categories TEXT NOT NULL,
  brand TEXT,
  description TEXT
);
CREATE TABLE IF NOT EXISTS users (idx INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS interactions (
  user_idx INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  item_idx INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  rating REAL,
  review TEXT,
  split TEXT NOT NULL CHECK (split IN ('train', 'valid', 'test')),
  PRIMARY KEY (user_idx, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS interactions_item ON interactions (item_idx);
`;
