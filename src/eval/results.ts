import type { Workspace } from '../data/workspace.js';
import type { EvalResult } from './evaluate.js';

/** Every evaluation is kept in the workspace, so reports compare runs without re-running them. */
export function saveEvaluation(ws: Workspace, r: EvalResult): void {
  ensureTable(ws);
  ws.db
    .prepare('INSERT INTO evaluations (recommender, split, exclude_seen, created, result) VALUES (?, ?, ?, ?, ?)')
    .run(r.recommender, r.split, r.exclude_seen ? 1 : 0, new Date().toISOString(), JSON.stringify(r));
}

/** The latest evaluation of each (recommender, split, masking); reading creates no table. */
export function latestEvaluations(ws: Workspace): EvalResult[] {
  const table = ws.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'evaluations'").get();
  if (!table) return [];
  const rows = ws.db
    .prepare(
      'SELECT result FROM evaluations e WHERE id = (SELECT MAX(id) FROM evaluations f WHERE f.recommender = e.recommender AND f.split = e.split AND f.exclude_seen = e.exclude_seen) ORDER BY split, recommender',
    )
    .pluck()
    .all() as string[];
  return rows.map((r) => JSON.parse(r) as EvalResult);
}

/**
 * The latest test evaluation of `recommender` with the history not masked (how models are
 * compared), saved at or after `since` (ISO time) when given: a model retrained under the same
 * name must not show its predecessor's metrics.
 */
export function latestTestEvaluation(ws: Workspace, recommender: string, since?: string): EvalResult | undefined {
  ensureTable(ws);
  const row = ws.db
    .prepare(
      "SELECT result FROM evaluations WHERE recommender = ? AND split = 'test' AND exclude_seen = 0 AND created >= ? ORDER BY id DESC LIMIT 1",
    )
    .pluck()
    .get(recommender, since ?? '') as string | undefined;
  return row === undefined ? undefined : (JSON.parse(row) as EvalResult);
}

/** Deletes every stored evaluation (they describe data that was replaced); returns how many there were. */
export function clearEvaluations(ws: Workspace): number {
  ensureTable(ws);
  return ws.db.prepare('DELETE FROM evaluations').run().changes;
}

function ensureTable(ws: Workspace): void {
  ws.db.exec(
    'CREATE TABLE IF NOT EXISTS evaluations (id INTEGER PRIMARY KEY, recommender TEXT NOT NULL, split TEXT NOT NULL, exclude_seen INTEGER NOT NULL, created TEXT NOT NULL, result TEXT NOT NULL)',
  );
}
