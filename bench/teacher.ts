/**
 * Teacher benchmark: `node dist/bench/teacher.js [--data DIR] [--requests N] [--concurrency C]`.
 * Prints one JSON object on stdout:
 *  - template: the template teacher over every user and item of the dataset (default: beauty,
 *    22,363 users and 12,101 items; target under 60 s), from loading the workspace to the last
 *    committed answer;
 *  - runner: the openai backend and runner against a local fake server (its own process,
 *    1 ms per answer) at concurrency 64, every answer checked and committed to SQLite; the
 *    runner's overhead must allow >= 1,000 requests/s. Wall-clock rates depend on what else the
 *    machine runs; requests per CPU-second of this process measure the overhead alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/dataset.js';
import { prepare } from '../src/data/prepare.js';
import { Workspace } from '../src/data/workspace.js';
import { planJobs, teachConfigSchema } from '../src/teacher/config.js';
import { trainingView } from '../src/teacher/context.js';
import { OpenAIBackend } from '../src/teacher/openai.js';
import { runJobs } from '../src/teacher/runner.js';
import { TeacherStore } from '../src/teacher/store.js';
import { TEMPLATE_MODEL, TemplateTeacher } from '../src/teacher/template-teacher.js';
import { sharedDir } from '../src/util/paths.js';
import { round } from './numbers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const seconds = (from: number) => (performance.now() - from) / 1000;

const work = mkdtempSync(join(tmpdir(), 'r2end-bench-teacher-'));
let t = performance.now();
const ws = Workspace.open(work, { create: true });
await prepare(ws, {
  data: values.data ?? sharedDir('datasets', 'beauty'),
  format: 'auto',
  kcore: 5,
  missingMeta: 'error',
});
const prepareSeconds = seconds(t);

// Template teacher: everything a `teach --backend template` run does after `prepare`.
t = performance.now();
const ds = loadDataset(ws);
const view = trainingView(ws, ds);
const templatePlan = planJobs(view, teachConfigSchema.parse({ backend: 'template', model: TEMPLATE_MODEL }));
const planSeconds = seconds(t);
const templateJobs = [...templatePlan.reasoning, ...templatePlan.items];
const template = await runJobs(
  templateJobs,
  new TemplateTeacher(view),
  TeacherStore.open(ws, { backend: 'template', model: TEMPLATE_MODEL }),
  { concurrency: 8, attempts: 1, retries: 0, backoffMs: 0, maxBackoffMs: 0 },
);
const templateSeconds = seconds(t);

// Runner overhead against a fake server in its own process.
const server = spawn(
  process.execPath,
  [join(ROOT, 'dist/bench/fake-openai-server.js'), JSON.stringify({ delayMs: 1 })],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const { url } = JSON.parse(
  await new Promise<string>((ok) => createInterface({ input: server.stdout! }).once('line', ok)),
) as { url: string };
const concurrency = Number(values.concurrency);
const config = teachConfigSchema.parse({ backend: 'openai', model: 'fake-model' });
const plan = planJobs(view, config);
const jobs = [...plan.reasoning, ...plan.items].slice(0, Number(values.requests));
const backend = new OpenAIBackend({
  baseUrl: url,
  model: 'fake-model',
  apiKeyEnv: 'OPENAI_API_KEY',
  timeoutMs: 30_000,
  connections: concurrency,
  temperature: 0,
  maxTokens: 1024,
});
let runner;
let cpu = process.cpuUsage();
try {
  await backend.preflight();
  cpu = process.cpuUsage();
  runner = await runJobs(jobs, backend, TeacherStore.open(ws, backend.id), {
    concurrency,
    attempts: 1,
    retries: 3,
    backoffMs: 10,
    maxBackoffMs: 100,
  });
} finally {
  cpu = process.cpuUsage(cpu);
  backend.close();
  server.kill();
  ws.close();
  rmSync(work, { recursive: true, force: true });
}

const requestsPerSecond = runner.requests / runner.seconds;
// CPU time of this process (client and runner, not the server): the overhead a real run pays.
const clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    dataset: values.data,
    users: ds.userIds.length,
    items: ds.items.length,
    prepare_seconds: round(prepareSeconds),
    template: {
      prompts: templateJobs.length,
      answered: template.done + template.cached,
      failed: template.failed,
      seconds: round(templateSeconds),
      load_and_plan_seconds: round(planSeconds),
      run_seconds: round(template.seconds),
      target_seconds: 60,
      ok: templateSeconds < 60 && template.failed === 0,
    },
    runner: {
      server: 'local fake, own process, 1 ms per answer',
      concurrency,
      requests: runner.requests,
      answered: runner.done,
      failed: runner.failed,
      seconds: round(runner.seconds),
      requests_per_s: round(requestsPerSecond, 0),
      client_cpu_seconds: round(clientCpuSeconds),
      requests_per_client_cpu_s: round(runner.requests / clientCpuSeconds, 0),
      target_requests_per_s: 1000,
      ok: requestsPerSecond >= 1000 && runner.failed === 0,
    },
  })}\n`,
);
