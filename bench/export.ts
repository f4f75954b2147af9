import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/dataset.js';
import { Workspace } from '../src/data/workspace.js';
import { ItemMatrix } from '../src/engine/topk.js';
import { R2ENDRecommender } from '../src/r2end/recommender.js';
import { normalizeRows } from '../src/r2end/vectors.js';
import { exportRecommendations } from '../src/serve/export.js';
import { Metrics } from '../src/serve/metrics.js';
import { RecommendationService } from '../src/serve/service.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { round } from './numbers.js';
import { processCpuMs } from './proc.js';

/**
 * Batch export: `r2end recommend --all` over every user of beauty (their whole histories, top-10,
 * JSON lines), timed as the command a user runs, with R2END (target: under 2 minutes on 2 cores)
 * and item kNN (a cheap model) for comparison; then R2END's export once more in process, its time
 * split into the encoder pass, the rest of the ranking (history texts and the engine's top-K) and
 * the rest of the export (histories, lines, writes), with the top-K alone timed on as many random
 * queries. The workspace (R2END_BENCH_WORK, default the r2end bench's, with a published `r2end`)
 * is copied first, database and model only: opening its database may write to it. Prints one JSON object.
 */
const source = process.env.R2END_BENCH_WORK ?? join(tmpdir(), 'r2end-bench-beauty');
const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const TARGET_SECONDS = 120;
const log = (line: string) => process.stderr.write(`${line}\n`);

if (!existsSync(join(source, 'models', 'r2end', 'bundle.json')))
  throw new Error(
    `no published r2end model in ${source}: set R2END_BENCH_WORK to a trained beauty workspace (npm run bench -- r2end makes one)`,
  );

/** The workspace's database and its published r2end version (the only files the export reads). */
function copyWorkspace(from: string, to: string): void {
  mkdirSync(join(to, 'models'), { recursive: true });
  for (const f of readdirSync(from)) if (f.startsWith(Workspace.DB_FILE)) cpSync(join(from, f), join(to, f));
  const version = readlinkSync(join(from, 'models', 'r2end'));
  cpSync(join(from, 'models', version), join(to, 'models', version), { recursive: true });
  symlinkSync(version, join(to, 'models', 'r2end'));
}

interface Run {
  model: string;
  command: string;
  users: number;
  /** The whole command: loading the model and the export. */
  seconds: number;
  /** The export alone, as the command reports it. */
  export_seconds: number;
  users_per_s: number;
  cpu_seconds: number | null;
  load_average_1m_at_start: number;
  load_average_1m_at_end: number;
  output_bytes: number;
  within_target: boolean | null;
}

/** Runs one export through the CLI, sampling its CPU time until it exits. */
async function timed(model: string, work: string, out: string, users: number): Promise<Run> {
  const args = ['recommend', '--work', work, '--model', model, '--all', '--out', out];
  log(`$ r2end ${args.join(' ')}`);
  const loadStart = loadavg()[0];
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  let cpuMs: number | undefined;
  const sampler = setInterval(() => (cpuMs = processCpuMs(child.pid!) ?? cpuMs), 100);
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - start) / 1000;
  if (status !== 0) throw new Error(`r2end ${args.join(' ')} exited with ${status}`);
  const reported = /\(jsonl, ([\d.]+) s\)/.exec(stdout);
  if (!reported) throw new Error(`r2end recommend --all said no time: ${stdout}`);
  const exportSeconds = Number(reported[1]);
  return {
    model,
    command: `r2end ${args.join(' ')}`,
    users,
    seconds: round(seconds, 1),
    export_seconds: exportSeconds,
    users_per_s: round(users / exportSeconds, 1),
    cpu_seconds: cpuMs === undefined ? null : round(cpuMs / 1000, 1),
    load_average_1m_at_start: round(loadStart),
    load_average_1m_at_end: round(loadavg()[0]),
    output_bytes: statSync(out).size,
    within_target: model === 'r2end' ? seconds < TARGET_SECONDS : null,
  };
}

/** The service's metrics, summed: encoder seconds and ranking seconds. */
class Timing extends Metrics {
  encoderSeconds = 0;
  rankingSeconds = 0;
  override batch(size: number, seconds: number): void {
    super.batch(size, seconds);
    this.encoderSeconds += seconds;
  }
  override scoring(size: number, seconds: number): void {
    super.scoring(size, seconds);
    this.rankingSeconds += seconds;
  }
}

/** R2END's export in process, split by where its time goes. */
async function profile(work: string, out: string) {
  const ws = Workspace.openPrepared(work);
  try {
    const timing = new Timing();
    const service = await RecommendationService.open(ws, timing, { model: 'r2end', windowMs: 0, cacheSize: 0 });
    const loadStart = loadavg()[0];
    const cpu = process.cpuUsage();
    const start = performance.now();
    await exportRecommendations(service, { out, format: 'jsonl', k: 10, excludeSeen: false, silent: true });
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    // The engine's top-K alone: as many unit queries as users against the same item matrix.
    const r2end = new R2ENDRecommender(ws, 'r2end');
    await r2end.fit(service.ds);
    const { z, dim } = r2end.index;
    const users = service.ds.userIds.length;
    const queries = normalizeRows(
      Float32Array.from({ length: users * dim }, () => Math.random() - 0.5),
      dim,
    );
    const matrix = new ItemMatrix(z, dim, { metric: 'dot' });
    await matrix.topK(queries.subarray(0, dim), 10);
    const topStart = performance.now();
    for (let q = 0; q < users; q += 256)
      await matrix.topK(queries.subarray(q * dim, Math.min(users, q + 256) * dim), 10);
    const topK = (performance.now() - topStart) / 1000;
    return {
      seconds: round(seconds, 1),
      cpu_seconds: round((used.user + used.system) / 1e6, 1),
      encoder_seconds: round(timing.encoderSeconds, 1),
      texts_and_top_k_seconds: round(timing.rankingSeconds - timing.encoderSeconds, 1),
      top_k_alone_seconds: round(topK, 1),
      histories_lines_and_writes_seconds: round(seconds - timing.rankingSeconds, 1),
      load_average_1m_at_start: round(loadStart),
      load_average_1m_at_end: round(loadavg()[0]),
    };
  } finally {
    ws.close();
  }
}

const temp = mkdtempSync(join(tmpdir(), 'r2end-bench-export-'));
try {
  const work = join(temp, 'work');
  copyWorkspace(source, work);
  const ws = Workspace.openPrepared(work);
  const ds = loadDataset(ws);
  const data = { dataset: ds.name, users: ds.userIds.length, items: ds.items.length };
  ws.close();
  const runs: Run[] = [];
  for (const model of ['r2end', 'itemknn']) {
    const out = join(temp, `${model}.jsonl`);
    runs.push(await timed(model, work, out, data.users));
    rmSync(out);
  }
  const split = await profile(work, join(temp, 'profile.jsonl'));
  process.stdout.write(
    `${JSON.stringify(
      {
        workspace: `${source} (database and r2end copied)`,
        ...data,
        k: 10,
        format: 'jsonl',
        cpus: cpus().length,
        target: `r2end: every user in under ${TARGET_SECONDS} s (the whole command)`,
        runs,
        r2end_in_process: split,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  rmSync(temp, { recursive: true, force: true });
}
