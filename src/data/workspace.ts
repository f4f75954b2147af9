import Database from 'better-sqlite3';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirs } from '../io/dirs.js';
import { UserError } from '../util/errors.js';

/**
 * An experiment's workspace: one directory holding a SQLite database (tables and caches),
 * tensor files and reports. Every stage reads what earlier stages left here.
 */
export class Workspace {
  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
    /** What opening it created, so a command that fails can leave nothing behind (see discard). */
    private readonly created: { dir?: string; db: boolean },
  ) {}

  static readonly DB_FILE = 'r2end.sqlite';

  /** Opens the workspace, creating the directory and schema when `create` is set. */
  static open(dir: string, { create = false } = {}): Workspace {
    if (dir.trim() === '') throw new UserError('--work: empty, expected a workspace folder');
    const abs = resolve(dir);
    const file = join(abs, Workspace.DB_FILE);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UserError(`--work ${dir}: not a folder`);
    if (!create && !existsSync(file)) {
      throw new UserError(
        `--work ${dir}: no workspace there (expected ${file}); run \`r2end prepare --work ${dir}\` first`,
      );
    }
    const createdDir = makeDirs(abs, `--work ${dir}`);
    const createdDb = !existsSync(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      // WAL lets a long job commit often and cheaply, and readers (status, serve) run beside it.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
    } catch (error) {
      db?.close();
      throw new UserError(`--work ${dir}: ${file} is not a usable workspace database (${(error as Error).message})`);
    }
    return new Workspace(abs, db, { dir: createdDir, db: createdDb });
  }

  /**
   * Opens a workspace that `prepare` filled with a dataset of at least one user: what every
   * command after prepare needs, refused in one line otherwise.
   */
  static openPrepared(dir: string): Workspace {
    const ws = Workspace.open(dir);
    const info = ws.getMeta<{ name: string; users: number }>('dataset');
    if (!info || info.users === 0) {
      ws.close();
      throw new UserError(
        info
          ? `--work ${dir}: the prepared dataset ${info.name} has no users; prepare it again with --force and a smaller --kcore`
          : `--work ${dir}: no prepared dataset (an earlier prepare did not finish); run \`r2end prepare --data DIR --work ${dir}\``,
      );
    }
    return ws;
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

  /** Closes the workspace and removes what opening it created: the folder, else the database files. */
  discard(): void {
    this.close();
    if (this.created.dir) rmSync(this.created.dir, { recursive: true, force: true });
    else if (this.created.db)
      for (const suffix of ['', '-wal', '-shm']) rmSync(this.path(Workspace.DB_FILE + suffix), { force: true });
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
