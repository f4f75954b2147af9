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

function ensureTable(ws: Workspace): void {
  ws.db.exec(
    'CREATE TABLE IF NOT EXISTS evaluations (id INTEGER PRIMARY KEY, recommender TEXT NOT NULL, split TEXT NOT NULL, exclude_seen INTEGER NOT NULL, created TEXT NOT NULL, result TEXT NOT NULL)',
  );
}
