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
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/dataset.js';
import { Workspace } from '../src/data/workspace.js';
import type { TopKResult } from '../src/engine/topk.js';
import { R2ENDRecommender } from '../src/r2end/recommender.js';
import { onlineHistory } from '../src/rank/online.js';
import { DEFAULT_BATCH, exportRecommendations, formatUser } from '../src/serve/export.js';
import { Metrics } from '../src/serve/metrics.js';
import { RecommendationService } from '../src/serve/service.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { round } from './numbers.js';
import { processCpuMs } from './proc.js';

/**
 * Batch export: `r2end recommend --all` over every user of beauty (their whole histories, top-10,
 * JSON lines), timed as the command a user runs, with R2END (target: under 2 minutes on 2 cores)
 * and item kNN (a cheap model) for comparison; then R2END's export once more in process and its
 * phases one after another, to see where the time goes. The workspace (R2END_BENCH_WORK, default the r2end bench's, with a published `r2end`)
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
  /** What the CPU time allows with every core free: CPU seconds over the cores (the machine is shared). */
  cpu_bound_seconds: number | null;
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
    cpu_bound_seconds: cpuMs === undefined ? null : round(cpuMs / 1000 / cpus().length, 1),
    load_average_1m_at_start: round(loadStart),
    load_average_1m_at_end: round(loadavg()[0]),
    output_bytes: statSync(out).size,
    within_target: model === 'r2end' ? seconds < TARGET_SECONDS : null,
  };
}

/** Seconds and CPU seconds of `fn`. */
async function measured<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number; cpu_seconds: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpu_seconds: (used.user + used.system) / 1e6 };
}

const figures = (m: { seconds: number; cpu_seconds: number }) => ({
  seconds: round(m.seconds, 1),
  cpu_seconds: round(m.cpu_seconds, 1),
  cpu_bound_seconds: round(m.cpu_seconds / cpus().length, 1),
});

/**
 * R2END's export in process (no model loading), then its phases one after another over every
 * user in the same batches: history texts, the encoder pass (tokens, encoder, projection), the
 * engine's top-K, and the lines formatted and written.
 */
async function profile(work: string, out: string) {
  const ws = Workspace.openPrepared(work);
  try {
    const service = await RecommendationService.open(ws, new Metrics(), { model: 'r2end', windowMs: 0, cacheSize: 0 });
    const { ds } = service;
    const rec = new R2ENDRecommender(ws, 'r2end');
    await rec.fit(ds);
    const { matrix } = rec.index;
    // Warm: the first engine calls of a process pay for setting up its threads and memory.
    await service.recommendUsers([0, 1, 2, 3], 10, false);
    const loadStart = loadavg()[0];
    const whole = await measured(() =>
      exportRecommendations(service, { out, format: 'jsonl', k: 10, excludeSeen: false, silent: true }),
    );
    // Each user's whole history, as the service reads it for `recommend --user`.
    const texts = await measured(() =>
      ds.userIds.map((_, u) => {
        const entries = Array.from(ds.sequences[u], (row, p) => ({ item: ds.items[row], timestamp: ds.times[u][p] }));
        return rec.historyText(onlineHistory(entries, (e) => ds.itemIndex.get(e.item.id)!, ds.items.length));
      }),
    );
    const batches = Array.from({ length: Math.ceil(ds.userIds.length / DEFAULT_BATCH) }, (_, b) =>
      texts.value.slice(b * DEFAULT_BATCH, (b + 1) * DEFAULT_BATCH),
    );
    const encoder = await measured(async () => {
      const z: Float32Array[] = [];
      for (const batch of batches) z.push(await rec.embed(batch));
      return z;
    });
    const topK = await measured(async () => {
      const top: TopKResult[] = [];
      for (const z of encoder.value) top.push(await matrix.topK(z, 10));
      return top;
    });
    const lines = await measured(() => {
      const text = topK.value.flatMap((top, b) =>
        Array.from({ length: top.indices.length / 10 }, (_, q) =>
          formatUser(
            'jsonl',
            ds.userIds[b * DEFAULT_BATCH + q],
            Array.from(top.indices.subarray(q * 10, (q + 1) * 10), (row, i) => ({
              item_id: ds.items[row].id,
              title: ds.items[row].title,
              score: top.scores[q * 10 + i],
            })),
          ),
        ),
      );
      writeFileSync(`${out}.phases`, text.join(''));
    });
    return {
      export: figures(whole),
      phases: {
        history_texts: figures(texts),
        encoder: figures(encoder),
        top_k: figures(topK),
        lines_written: figures(lines),
      },
      batch_users: DEFAULT_BATCH,
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
