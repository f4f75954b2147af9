// Temporary folders, dataset writers and prepared workspaces shared by the tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { saveEvaluation } from '../../src/eval/results.js';
import { sharedDir } from '../../src/util/paths.js';

// Removed at process exit rather than after each test file's hooks: workspaces are cached and
// shared by the tests of a file, and `after` inside a test would delete them under the next one.
const temporary: string[] = [];
process.once('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test process exits. The only way tests make one. */
export function tempDir(prefix = 'r2end-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Writes files (name -> text; names ending in .gz are gzipped) into a new temp folder. */
export function writeDir(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(dir, name), name.endsWith('.gz') ? gzipSync(text) : text);
  return dir;
}

/** `values` as JSON in a new temp folder (a --config file, a history file). */
export function jsonFile(values: unknown, name = 'config.json'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

export interface FixtureItem {
  id: string;
  title: string;
  categories?: string[][];
  brand?: string | null;
}

/** A plain-format dataset: rows [user, item, timestamp] in file order, plus item metadata. */
export function plainDataset(
  rows: Array<[string, string, number]>,
  items: FixtureItem[],
  defaultCategories = [['Cat']],
): string {
  return writeDir({
    'interactions.csv': ['user_id,item_id,timestamp', ...rows.map((r) => r.join(','))].join('\n') + '\n',
    'items.jsonl':
      items
        .map((it) =>
          JSON.stringify({
            item_id: it.id,
            title: it.title,
            categories: it.categories ?? defaultCategories,
            brand: it.brand ?? null,
            description: null,
          }),
        )
        .join('\n') + '\n',
  });
}

/**
 * A small dataset where every user has `perUser` interactions on a shared pool of items, so a
 * 3-core keeps everything. Item i's successor in every sequence is item i+1 (mod pool). With
 * `coldItem`, one more user ends on item "cold", which nothing else has (kept only with k-core 1).
 */
export function sequentialDataset(users = 12, pool = 8, perUser = 6, coldItem = false): string {
  const rows: Array<[string, string, number]> = [];
  for (let u = 0; u < users; u++) {
    for (let p = 0; p < perUser; p++) rows.push([`u${u}`, `i${(u + p) % pool}`, 1_600_000_000 + p * 86_400 + u]);
  }
  const items = Array.from({ length: pool }, (_, i) => ({
    id: `i${i}`,
    title: `Item ${i}`,
    categories: [['Beauty', i % 2 ? 'Hair' : 'Skin']],
    brand: i % 3 ? 'Acme' : null,
  }));
  if (coldItem) {
    for (let p = 0; p < 3; p++) rows.push(['ucold', `i${p}`, 1_600_000_000 + p * 86_400]);
    rows.push(['ucold', 'cold', 1_600_000_000 + 3 * 86_400]);
    items.push({ id: 'cold', title: 'Brand new serum', categories: [['Beauty', 'Skin']], brand: 'Acme' });
  }
  return plainDataset(rows, items);
}

/** A new workspace with the plain-format dataset folder `data` prepared (k-core `kcore`). */
export async function preparedWorkspace(data: string, kcore = 1): Promise<Workspace> {
  const ws = Workspace.open(tempDir('r2end-work-'), { create: true });
  await prepare(ws, { data, format: 'plain', kcore, missingMeta: 'error' });
  return ws;
}

// Prepared once per process: beauty_mini takes a second.
const prepared = new Map<string, string>();
/** A prepared 5-core copy of a shared dataset, opened anew for each caller. */
export async function sharedWorkspace(name: string): Promise<Workspace> {
  let dir = prepared.get(name);
  if (!dir) {
    const ws = await preparedWorkspace(sharedDir('datasets', name), 5);
    ws.close();
    dir = ws.dir;
    prepared.set(name, dir);
  }
  return Workspace.open(dir);
}

/** Stores in the workspace `work` what an older evaluate stored for an empty dataset: 0 users, NaN coverage (kept as null). */
export function saveZeroEvaluation(work: string): void {
  const ws = Workspace.open(work);
  const metrics = Object.fromEntries(
    ['HR@5', 'NDCG@5', 'HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'].map((m) => [m, 0]),
  );
  saveEvaluation(ws, {
    ...{ recommender: 'pop', dataset: 'd', split: 'test', users: 0, items: 0, ties: '', exclude_seen: false },
    ...{ metrics, longtail: { users: 0, 'HR@10': 0, 'NDCG@10': 0 }, 'coverage@10': NaN, seconds: 0, about: {} },
  });
  ws.close();
}
