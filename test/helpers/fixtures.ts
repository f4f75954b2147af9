import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The compiled CLI entry (tests run from dist/test/...). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

const temporary: string[] = [];
process.once('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test process exits. */
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

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI without blocking this process's event loop (a fake server may live here). */
export function runCliAsync(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
