import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRecommender } from '../src/app/registry.js';
import { evalCase, loadDataset, type Dataset } from '../src/data/dataset.js';
import { HYBRID_FILE } from '../src/hybrid/hybrid.js';
import { topRows } from '../src/rank/online.js';
import type { History } from '../src/rank/recommender.js';
import { Workspace } from '../src/data/workspace.js';
import { PACKAGE_ROOT, sharedDir } from '../src/util/paths.js';
import { round } from './numbers.js';
import { runR2end } from './cli.js';
import { processCpuMs } from './proc.js';

/**
 * Load benchmark of `r2end serve`: POST /v1/recommend with real users' histories (each request
 * a different history, so no request repeats another's work) at concurrency 1, 16 and 64, from
 * autocannon on 127.0.0.1, for R2END alone and for a hybrid with an R2END part (with a reload
 * under load), plus each one's in-process cost of one request. Uses the beauty model of `bench/r2end.ts` when one exists (copied:
 * the bench adds an item), else trains a beauty_mini model once. Prints one JSON object.
 */
const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const SECONDS = Number(process.env.R2END_SERVE_BENCH_SECONDS ?? 10);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A workspace with a trained model, and where it came from. */
function workspace(): { work: string; dataset: string; model: string } {
  const beauty = process.env.R2END_BENCH_WORK ?? join(tmpdir(), 'r2end-bench-beauty');
  const work = join(tmpdir(), 'r2end-bench-serve');
  if (existsSync(join(beauty, 'models', 'r2end', 'bundle.json'))) {
    rmSync(work, { recursive: true, force: true });
    cpSync(beauty, work, { recursive: true, verbatimSymlinks: true });
    return { work, dataset: 'beauty', model: `reused from ${beauty} (copied)` };
  }
  const mini = join(tmpdir(), 'r2end-bench-serve-beauty_mini');
  if (existsSync(join(mini, 'models', 'r2end', 'bundle.json')))
    return { work: mini, dataset: 'beauty_mini', model: `reused from ${mini}` };
  if (!existsSync(join(mini, Workspace.DB_FILE)))
    runR2end(['prepare', '--data', sharedDir('datasets', 'beauty_mini'), '--work', mini]);
  runR2end(['teach', '--work', mini, '--backend', 'template']);
  runR2end(['train', '--work', mini]);
  return { work: mini, dataset: 'beauty_mini', model: `trained now in ${mini}` };
}

/** Request bodies: every user's test-time history (its last 8 items, as verbalisation keeps at most 8). */
function bodies(work: string): string[] {
  const ws = Workspace.open(work);
  try {
    const ds = loadDataset(ws);
    return ds.userIds.map((_, u) => {
      const c = evalCase(ds, u, 'test');
      const history = Array.from(c.history, (item, p) => ({
        item_id: ds.items[item].id,
        timestamp: c.historyTimes[p],
      })).slice(-8);
      return JSON.stringify({ history, k: 10 });
    });
  } finally {
    ws.close();
  }
}

interface Server {
  url: string;
  pid: number;
  stop: () => Promise<number | null>;
  /** How many SIGHUP reloads the server has reported so far. */
  reloads: () => number;
}

function start(work: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--work', work, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /r2end serve: (http:\/\/\S+)/.exec(out);
      if (m)
        resolve({
          url: m[1],
          pid: child.pid!,
          stop: () => (child.kill('SIGTERM'), exited),
          reloads: () => out.split('reloaded (version').length - 1,
        });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}`)));
  });
}

async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: get('r2end_batch_size_sum'), count: get('r2end_batch_size_count') };
}

/**
 * One autocannon run. Besides rates it records the CPU time per request of the server and of
 * the client: with both on the same cores, cores x 1000 / (their sum) is the most requests per
 * second the machine can do, whatever the other tenants leave.
 */
async function load(server: Server, requests: string[], connections: number, seconds: number) {
  const { url } = server;
  let next = 0;
  const before = await batchStats(url);
  const serverCpu = processCpuMs(server.pid);
  const clientCpu = process.cpuUsage();
  const r = await autocannon({
    url: `${url}/v1/recommend`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: requests[next++ % requests.length] }),
      },
    ],
  });
  const serverMs = (processCpuMs(server.pid) ?? NaN) - (serverCpu ?? NaN);
  const client = process.cpuUsage(clientCpu);
  const after = await batchStats(url);
  const perRequest = (ms: number) => Math.round((ms / r.requests.total) * 100) / 100;
  const server_cpu_ms_per_request = perRequest(serverMs);
  const client_cpu_ms_per_request = perRequest((client.user + client.system) / 1000);
  return {
    concurrency: connections,
    seconds,
    requests: r.requests.total,
    requests_per_s: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    mean_batch: after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 0,
    server_cpu_ms_per_request,
    client_cpu_ms_per_request,
    cpu_bound_requests_per_s: Number.isFinite(server_cpu_ms_per_request)
      ? Math.round((cpus().length * 1000) / (server_cpu_ms_per_request + client_cpu_ms_per_request))
      : null,
  };
}

/** Every user's test case as a History, for in-process scoring. */
function histories(ds: Dataset): History[] {
  return ds.userIds.map((_, u) => {
    const c = evalCase(ds, u, 'test');
    return { items: c.history, times: c.historyTimes, time: c.targetTime };
  });
}

/**
 * One user at a time in process (no HTTP): score() and the top-10, as a request costs the
 * service; 500 users after 20 for warm-up. What one request costs the model alone.
 */
async function inProcessLatency(work: string, model: string) {
  const ws = Workspace.open(work);
  try {
    const ds = loadDataset(ws);
    const rec = makeRecommender(model, ws);
    await rec.fit(ds);
    const all = histories(ds);
    const times: number[] = [];
    for (let i = 0; i < 520; i++) {
      const start = performance.now();
      topRows(await rec.score([all[i % all.length]]), 10);
      if (i >= 20) times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return { requests: times.length, p50_ms: round(times[250]), p99_ms: round(times[Math.floor(0.99 * times.length)]) };
  } finally {
    ws.close();
  }
}

/** The hybrid to bench beside R2END: R2END_SERVE_BENCH_HYBRID, else the first hybrid with an R2END part. */
function hybridIn(work: string): string | undefined {
  if (process.env.R2END_SERVE_BENCH_HYBRID) return process.env.R2END_SERVE_BENCH_HYBRID;
  const models = join(work, 'models');
  return readdirSync(models)
    .filter((m) => existsSync(join(models, m, HYBRID_FILE)))
    .find((m) => (JSON.parse(readFileSync(join(models, m, HYBRID_FILE), 'utf8')).parts as string[]).includes('r2end'));
}

/**
 * Encoding every request (the vector cache off) at concurrency 1, 16 and 64, then a reload under
 * load at 64; then 64 again on a server ranking two batches at once instead of the default
 * one, the lever measured in the same run.
 */
async function encodingRuns(work: string, model: string, requests: string[]) {
  const server = await start(work, ['--model', model, '--cache', '0']);
  const runs = [];
  let reload;
  try {
    await load(server, requests, 16, 2); // warm-up, not reported
    for (const c of [1, 16, 64]) {
      runs.push(await load(server, requests, c, SECONDS));
      log(`${model}, encoding every request, concurrency ${c}: ${JSON.stringify(runs.at(-1))}`);
    }
    // A reload (SIGHUP) in the middle of a run at concurrency 64: no request may fail.
    const reloading = setTimeout(() => process.kill(server.pid, 'SIGHUP'), (SECONDS * 1000) / 2);
    reload = await load(server, requests, 64, SECONDS);
    clearTimeout(reloading);
    log(`${model}, reload under load: ${JSON.stringify(reload)}`);
    reload = { ...reload, reloaded: server.reloads() };
  } finally {
    await server.stop();
  }
  const double = await start(work, ['--model', model, '--cache', '0', '--batches-in-flight', '2']);
  try {
    await load(double, requests, 16, 2);
    const twoInFlight = await load(double, requests, 64, SECONDS);
    log(`${model}, two batches in flight, concurrency 64: ${JSON.stringify(twoInFlight)}`);
    return { runs, reload_under_load: reload, two_batches_in_flight_c64: twoInFlight };
  } finally {
    await double.stop();
  }
}

async function main() {
  const started = Date.now();
  // Other processes on the machine: a 1-minute load above the core count means shared cores.
  const loadAtStart = loadavg()[0];
  const { work, dataset, model } = workspace();
  const requests = bodies(work);
  // Encoder-bound: the vector cache off, every request encodes its history; R2END alone, then the hybrid.
  const models = ['r2end', ...[hybridIn(work)].filter((m): m is string => m !== undefined)];
  const served: Record<string, unknown> = {};
  for (const model of models)
    served[model] = { in_process: await inProcessLatency(work, model), ...(await encodingRuns(work, model, requests)) };
  // Repeated histories (returning users): 2,000 histories seen before, their vectors cached
  // (fewer than the cache holds: cycling through more than it holds would always miss).
  const returning = requests.slice(0, 2000);
  const server = await start(work, ['--model', 'r2end']);
  try {
    for (const body of returning)
      await fetch(`${server.url}/v1/recommend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const cached = [];
    for (const c of [1, 16, 64]) {
      cached.push(await load(server, returning, c, SECONDS));
      log(`cached histories, concurrency ${c}: ${JSON.stringify(cached.at(-1))}`);
    }
    // Cold start: an item added through the API must be recommendable in the very next request.
    const title = 'Zyx bench-only holographic unicorn nail lacquer';
    const add = await fetch(`${server.url}/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ item_id: 'bench-new-item', title }] }),
    });
    const next = await fetch(`${server.url}/v1/recommend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ history: [{ text: title }], k: 10 }),
    });
    const items = ((await next.json()) as { items: Array<{ item_id: string }> }).items;
    const out = {
      bench: 'serve',
      dataset,
      model,
      endpoint: "POST /v1/recommend, k=10, users' test-time histories (last 8 items) in turn",
      client: 'autocannon on 127.0.0.1, same machine',
      cores: cpus().length,
      load_average_1m_at_start: loadAtStart,
      load_average_1m_at_end: loadavg()[0],
      histories: requests.length,
      returning_histories: returning.length,
      encoding_every_request: served,
      runs_cached_histories: cached,
      added_item: {
        status: add.status,
        rank_in_next_request: items.findIndex((i) => i.item_id === 'bench-new-item') + 1,
      },
      seconds: (Date.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await server.stop();
  }
}

await main();
