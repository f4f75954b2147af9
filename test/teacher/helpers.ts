import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/dataset.js';
import { prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { teachConfigSchema, type TeachConfig } from '../../src/teacher/config.js';
import { trainingView, type TrainingView } from '../../src/teacher/context.js';

/** The compiled CLI entry (tests run from dist/test/teacher/). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
export const DATASETS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets');

const temporary: string[] = [];
process.once('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test process exits. */
export function tempDir(prefix = 'r2end-teacher-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

export interface FixtureItem {
  id: string;
  title: string;
  categories?: string[][];
  brand?: string | null;
}

/** A prepared workspace from rows [user, item, timestamp] (file order) and item metadata. */
export async function workspaceFrom(rows: Array<[string, string, number]>, items: FixtureItem[], kcore = 1): Promise<Workspace> {
  const data = tempDir('r2end-data-');
  writeFileSync(join(data, 'interactions.csv'), ['user_id,item_id,timestamp', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  writeFileSync(join(data, 'items.jsonl'), items.map((it) => JSON.stringify({ item_id: it.id, title: it.title, categories: it.categories ?? [['Beauty', 'Misc']], brand: it.brand ?? null, description: null })).join('\n') + '\n');
  const ws = Workspace.open(tempDir('r2end-work-'), { create: true });
  await prepare(ws, { data, format: 'plain', kcore, missingMeta: 'error' });
  return ws;
}

/** A prepared copy of a shared dataset (cached per process: beauty_mini takes a second). */
const prepared = new Map<string, string>();
export async function sharedWorkspace(name: string): Promise<Workspace> {
  let dir = prepared.get(name);
  if (!dir) {
    dir = tempDir(`r2end-${name}-`);
    const ws = Workspace.open(dir, { create: true });
    await prepare(ws, { data: join(DATASETS, name), format: 'plain', kcore: 5, missingMeta: 'error' });
    ws.close();
    prepared.set(name, dir);
  }
  return Workspace.open(dir);
}

export function viewOf(ws: Workspace): TrainingView {
  return trainingView(ws, loadDataset(ws));
}

export function config(c: Partial<TeachConfig> & Pick<TeachConfig, 'backend' | 'model'>): TeachConfig {
  return teachConfigSchema.parse(c);
}

/**
 * Users whose validation and test items carry marker titles found nowhere in training, and
 * normal items whose only non-training buyers come right after a marker: any use of a
 * validation or test interaction shows up as a marker in some text.
 */
export async function leakFixture(): Promise<Workspace> {
  const items: FixtureItem[] = [];
  const rows: Array<[string, string, number]> = [];
  const pool = 8;
  for (let i = 0; i < pool; i++) items.push({ id: `n${i}`, title: `Normal product ${i}`, categories: [['Beauty', i % 2 ? 'Hair' : 'Skin', `Leaf${i % 3}`]], brand: i % 3 ? 'Acme' : 'Zen' });
  for (let u = 0; u < 10; u++) {
    let t = 1_600_000_000 + u * 1000;
    for (let p = 0; p < 5; p++) rows.push([`u${u}`, `n${(u + p) % pool}`, (t += 86_400 * (1 + (p % 3)))]);
    const valid = u % 2 === 0 ? `mv${u}` : `n${(u + 5) % pool}`;
    const test = u % 2 === 0 ? `n${(u + 6) % pool}` : `mt${u}`;
    if (u % 2 === 0) items.push({ id: valid, title: `ZZVALIDMARK${u} item`, categories: [['Beauty', 'Marker', `VALIDCAT${u}`]], brand: `VALIDBRAND${u}` });
    else items.push({ id: test, title: `ZZTESTMARK${u} item`, categories: [['Beauty', 'Marker', `TESTCAT${u}`]], brand: `TESTBRAND${u}` });
    rows.push([`u${u}`, valid, (t += 86_400)]);
    rows.push([`u${u}`, test, (t += 86_400)]);
  }
  return workspaceFrom(rows, items);
}

export const MARKER = /ZZVALIDMARK|ZZTESTMARK|VALIDCAT|TESTCAT|VALIDBRAND|TESTBRAND|REVIEWLEAK/;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process's event loop (a fake server may live here). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
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
