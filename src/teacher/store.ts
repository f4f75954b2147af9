import type Database from 'better-sqlite3';
import type { Workspace } from '../data/workspace.js';
import type { PromptKind } from './templates.js';

/** Which teacher answered: the cache key is (backend, model, prompt hash). */
export interface TeacherId {
  backend: string;
  model: string;
}

/** A good answer, as stored. */
export interface StoredResponse {
  kind: PromptKind;
  subject: number;
  text: string;
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  /** Unguided only: whether the model's prediction was the true item. */
  predictionMatch: boolean | null;
}

/** A prompt that kept failing: the reason of its last attempt and how many attempts it had. */
export interface StoredFailure {
  kind: PromptKind;
  subject: number;
  attempts: number;
  reason: string;
  /** The rejected answer, if there was one (empty, cut off, wrong opening...). */
  text: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS teacher_responses (
  backend TEXT NOT NULL, model TEXT NOT NULL, prompt_hash TEXT NOT NULL,
  kind TEXT NOT NULL, subject INTEGER NOT NULL, text TEXT NOT NULL, finish_reason TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, prediction_match INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (backend, model, prompt_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS teacher_failures (
  backend TEXT NOT NULL, model TEXT NOT NULL, prompt_hash TEXT NOT NULL,
  kind TEXT NOT NULL, subject INTEGER NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL,
  text TEXT, updated_at INTEGER NOT NULL,
  PRIMARY KEY (backend, model, prompt_hash)
) WITHOUT ROWID;
`;

/**
 * The teacher's cache in the workspace database. Every write is its own committed statement
 * (WAL), so an answer is durable the moment `put` returns and a killed run loses nothing it
 * counted; a later success replaces an earlier failure record.
 */
export class TeacherStore {
  private readonly insert: Database.Statement;
  private readonly clearFailure: Database.Statement;
  private readonly upsertFailure: Database.Statement;
  private readonly getResponse: Database.Statement;
  private readonly getFailure: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    readonly teacher: TeacherId,
  ) {
    db.exec(SCHEMA);
    // INSERT OR IGNORE: a key is written once; the first good answer stays.
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO teacher_responses (backend, model, prompt_hash, kind, subject, text, finish_reason, prompt_tokens, completion_tokens, prediction_match, created_at)
       VALUES (@backend, @model, @hash, @kind, @subject, @text, @finishReason, @promptTokens, @completionTokens, @predictionMatch, @now)`,
    );
    this.clearFailure = db.prepare('DELETE FROM teacher_failures WHERE backend = ? AND model = ? AND prompt_hash = ?');
    this.upsertFailure = db.prepare(
      `INSERT INTO teacher_failures (backend, model, prompt_hash, kind, subject, attempts, reason, text, updated_at)
       VALUES (@backend, @model, @hash, @kind, @subject, @attempts, @reason, @text, @now)
       ON CONFLICT (backend, model, prompt_hash) DO UPDATE SET attempts = teacher_failures.attempts + excluded.attempts,
         reason = excluded.reason, text = excluded.text, updated_at = excluded.updated_at`,
    );
    this.getResponse = db.prepare(
      'SELECT kind, subject, text, finish_reason, prompt_tokens, completion_tokens, prediction_match FROM teacher_responses WHERE backend = ? AND model = ? AND prompt_hash = ?',
    );
    this.getFailure = db.prepare(
      'SELECT kind, subject, attempts, reason, text FROM teacher_failures WHERE backend = ? AND model = ? AND prompt_hash = ?',
    );
  }

  static open(ws: Workspace, teacher: TeacherId): TeacherStore {
    return new TeacherStore(ws.db, teacher);
  }

  put(hash: string, r: StoredResponse): void {
    const { backend, model } = this.teacher;
    const row = {
      backend,
      model,
      hash,
      ...r,
      predictionMatch: r.predictionMatch === null ? null : Number(r.predictionMatch),
      now: Date.now(),
    };
    this.db.transaction(() => {
      this.insert.run(row);
      this.clearFailure.run(backend, model, hash);
    })();
  }

  /** Records a failed prompt; `attempts` adds to those of earlier runs. */
  fail(hash: string, f: StoredFailure): void {
    const { backend, model } = this.teacher;
    this.upsertFailure.run({ backend, model, hash, ...f, now: Date.now() });
  }

  response(hash: string): StoredResponse | undefined {
    const r = this.getResponse.get(this.teacher.backend, this.teacher.model, hash) as ResponseRow | undefined;
    return (
      r && {
        kind: r.kind,
        subject: r.subject,
        text: r.text,
        finishReason: r.finish_reason,
        promptTokens: r.prompt_tokens,
        completionTokens: r.completion_tokens,
        predictionMatch: r.prediction_match === null ? null : r.prediction_match === 1,
      }
    );
  }

  failure(hash: string): StoredFailure | undefined {
    return this.getFailure.get(this.teacher.backend, this.teacher.model, hash) as StoredFailure | undefined;
  }

  /** Hashes with a stored answer (one query instead of one per prompt). */
  doneHashes(): Set<string> {
    return new Set(
      this.db
        .prepare('SELECT prompt_hash FROM teacher_responses WHERE backend = ? AND model = ?')
        .pluck()
        .all(this.teacher.backend, this.teacher.model) as string[],
    );
  }

  failedHashes(): Set<string> {
    return new Set(
      this.db
        .prepare('SELECT prompt_hash FROM teacher_failures WHERE backend = ? AND model = ?')
        .pluck()
        .all(this.teacher.backend, this.teacher.model) as string[],
    );
  }

  /** hash -> [text, prediction match] for every stored answer of this teacher and kind. */
  texts(kind: PromptKind): Map<string, { text: string; predictionMatch: boolean | null }> {
    const rows = this.db
      .prepare(
        'SELECT prompt_hash, text, prediction_match FROM teacher_responses WHERE backend = ? AND model = ? AND kind = ?',
      )
      .raw()
      .all(this.teacher.backend, this.teacher.model, kind) as Array<[string, string, number | null]>;
    return new Map(rows.map(([h, text, m]) => [h, { text, predictionMatch: m === null ? null : m === 1 }]));
  }

  /** Runs many writes in one transaction (the template teacher answers thousands per second). */
  batch(fn: () => void): void {
    this.db.transaction(fn)();
  }

  /**
   * Replaces every answer of `teacher` and `kind` by those `fill` puts, in one transaction that
   * may span awaits (a file streamed in): readers see the old set or the new one, never a mix; a
   * throw, or a killed process, leaves the database as it was (the tables too, when this would
   * have created them). Holds the database's write lock meanwhile.
   */
  static async replaceKind(
    ws: Workspace,
    teacher: TeacherId,
    kind: PromptKind,
    fill: (put: (hash: string, r: StoredResponse) => void) => Promise<void>,
  ): Promise<void> {
    const { db } = ws;
    db.exec('BEGIN IMMEDIATE');
    try {
      const store = new TeacherStore(db, teacher);
      db.prepare('DELETE FROM teacher_responses WHERE backend = ? AND model = ? AND kind = ?').run(
        teacher.backend,
        teacher.model,
        kind,
      );
      await fill((hash, r) => store.put(hash, r));
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** Every teacher (backend and model) with stored answers, in name order. */
export function storedTeachers(db: Database.Database): TeacherId[] {
  db.exec(SCHEMA);
  return db
    .prepare('SELECT DISTINCT backend, model FROM teacher_responses ORDER BY backend, model')
    .all() as TeacherId[];
}

interface ResponseRow {
  kind: PromptKind;
  subject: number;
  text: string;
  finish_reason: string;
  prompt_tokens: number;
  completion_tokens: number;
  prediction_match: number | null;
}
