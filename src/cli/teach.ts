import { Command, Option } from 'commander';
import { loadDataset } from '../data/dataset.js';
import { Workspace } from '../data/workspace.js';
import { teacherLabel, type OnlineBackend } from '../teacher/backend.js';
import { exportBatch, importBatch } from '../teacher/batch.js';
import {
  BACKENDS,
  modelFor,
  planJobs,
  promptSettings,
  saveConfig,
  savedConfig,
  teachConfigSchema,
  type TeachConfig,
} from '../teacher/config.js';
import { trainingView, type TrainingView } from '../teacher/context.js';
import { OpenAIBackend } from '../teacher/openai.js';
import { resolveConfig, teachStatus, type TeachStatus } from '../teacher/outputs.js';
import type { TeacherJob } from '../teacher/prompts.js';
import { runJobs, type FailureNote, type RunOptions } from '../teacher/runner.js';
import { TeacherStore } from '../teacher/store.js';
import { TemplateTeacher } from '../teacher/template-teacher.js';
import { defaultTemplate, loadTemplate, type PromptKind } from '../teacher/templates.js';
import { UserError, check } from '../util/errors.js';
import { parseIntFlag, parseNumberFlag } from './flags.js';

const DEFAULT_BASE_URL = 'http://127.0.0.1:8000/v1';

interface TeachFlags {
  work?: string;
  backend?: TeachConfig['backend'];
  baseUrl: string;
  model?: string;
  apiKeyEnv: string;
  what?: TeachConfig['what'];
  mode?: TeachConfig['mode'];
  concurrency: string;
  timeout: string;
  retries: string;
  attempts: string;
  backoff: string;
  limit?: string;
  ratio?: string;
  maxWords?: string;
  maxTokens?: string;
  contextItems?: string;
  candidates?: string;
  reasoningTemplate?: string;
  unguidedTemplate?: string;
  descriptionTemplate?: string;
  dryRun?: boolean;
  status?: boolean;
  json?: boolean;
  show?: string;
  showItem?: string;
  printTemplate?: PromptKind | 'description-reviews';
  export?: string;
  import?: string;
}

export function register(program: Command): void {
  program
    .command('teach')
    .description(
      'generate oracle-guided reasoning per training user and descriptions per item with a teacher (LLM server, batch files, or the offline template teacher)',
    )
    .option('--work <dir>', 'workspace folder (required except with --print-template)')
    .addOption(
      new Option(
        '--backend <name>',
        'template: offline, NOT an LLM; openai: an OpenAI-compatible server; batch: OpenAI Batch files',
      ).choices([...BACKENDS]),
    )
    .option('--base-url <url>', 'openai: server URL up to /v1', DEFAULT_BASE_URL)
    .option('--model <name>', 'openai/batch: model name')
    .option('--api-key-env <var>', 'openai: environment variable holding the API key', 'OPENAI_API_KEY')
    .addOption(new Option('--what <what>', 'which prompts (default all)').choices(['reasoning', 'items', 'all']))
    .addOption(
      new Option(
        '--mode <mode>',
        'oracle: the paper (target shown); unguided: the model predicts the next item itself (ablations)',
      ).choices(['oracle', 'unguided']),
    )
    .option('--concurrency <n>', 'requests in flight', '8')
    .option('--timeout <seconds>', 'per request', '300')
    .option('--retries <n>', 'retries per prompt after 429/5xx/timeouts/dropped connections', '8')
    .option(
      '--attempts <n>',
      'answers per prompt that may be rejected (empty, cut off, wrong opening) before it is failed',
      '3',
    )
    .option('--backoff <seconds>', 'first retry pause (doubles, with jitter, up to 60 s; Retry-After is honoured)', '1')
    .option('--limit <n>', 'only this many users and items (a fixed pseudo-random subset)')
    .option('--ratio <r>', 'only this fraction of users and items (paper: distillation data ratio)')
    .option('--max-words <n>', 'the prompts\' "max {max_words} words" (default 512)')
    .option('--max-tokens <n>', 'max_tokens per answer (default 1024)')
    .option('--context-items <n>', 'description prompts: prior purchases/reviews listed (default 10)')
    .option('--candidates <n>', 'unguided prompts: candidate items (default 20)')
    .option('--reasoning-template <file>', 'override the oracle-guided reasoning prompt')
    .option('--unguided-template <file>', 'override the unguided reasoning prompt')
    .option('--description-template <file>', 'override the item description prompt')
    .addOption(
      new Option('--print-template <kind>', 'print a default template (to copy and edit)').choices([
        'reasoning',
        'unguided',
        'description',
        'description-reviews',
      ]),
    )
    .option('--dry-run', 'print prompt counts, a token estimate and the first prompt; send nothing')
    .option('--status', 'print done/failed/pending counts')
    .option('--json', 'with --status: one JSON object on stdout')
    .option('--show <user_id>', "print one user's reasoning prompt and answer")
    .option('--show-item <item_id>', "print one item's description prompt and answer")
    .option('--export <file>', 'batch: write pending prompts as an OpenAI Batch JSONL file')
    .option('--import <file>', 'batch: read an OpenAI Batch result JSONL file')
    .action(async (o: TeachFlags) => {
      if (o.printTemplate)
        return void process.stdout.write(
          defaultTemplate(
            o.printTemplate === 'description-reviews' ? 'description' : o.printTemplate,
            o.printTemplate === 'description-reviews',
          ).text,
        );
      if (!o.work) throw new UserError('--work: required (the workspace folder)');
      const ws = Workspace.open(o.work);
      try {
        check(ws.isPrepared(), `--work ${o.work}: no prepared dataset; run \`r2end prepare --work ${o.work}\` first`);
        if (o.status || o.show || o.showItem) return inspect(ws, o);
        await teach(ws, o);
      } finally {
        ws.close();
      }
    });
}

/** Settings that shape prompts, given as flags (the rest keep their saved or default values). */
function promptFlags(o: TeachFlags): Partial<TeachConfig> {
  const c: Partial<TeachConfig> = {};
  if (o.mode) c.mode = o.mode;
  if (o.maxWords) c.maxWords = parseIntFlag('--max-words', o.maxWords, 1);
  if (o.maxTokens) c.maxTokens = parseIntFlag('--max-tokens', o.maxTokens, 1);
  if (o.contextItems) c.contextItems = parseIntFlag('--context-items', o.contextItems, 1);
  if (o.candidates) c.candidates = parseIntFlag('--candidates', o.candidates, 2);
  const files: Array<[PromptKind, string | undefined, string]> = [
    ['reasoning', o.reasoningTemplate, '--reasoning-template'],
    ['unguided', o.unguidedTemplate, '--unguided-template'],
    ['description', o.descriptionTemplate, '--description-template'],
  ];
  for (const [kind, file, flag] of files) {
    if (!file) continue;
    const t = loadTemplate(kind, file, flag);
    c.templates = { ...c.templates, [kind]: { text: t.text, source: t.source } };
  }
  return c;
}

function subsetFlags(o: TeachFlags): Pick<TeachConfig, 'limit' | 'ratio'> {
  if (o.limit && o.ratio) throw new UserError('--limit and --ratio: give one of them, not both');
  const ratio = o.ratio ? parseNumberFlag('--ratio', o.ratio, 0, 1) : undefined;
  if (ratio === 0) throw new UserError('--ratio 0: expected a fraction in (0, 1]');
  return { limit: o.limit ? parseIntFlag('--limit', o.limit, 1) : undefined, ratio };
}

/** The runner's flags, parsed before any work so a typo fails at once. */
function runFlags(o: TeachFlags): RunOptions & { timeoutMs: number } {
  return {
    concurrency: parseIntFlag('--concurrency', o.concurrency, 1),
    attempts: parseIntFlag('--attempts', o.attempts, 1),
    retries: parseIntFlag('--retries', o.retries, 0),
    backoffMs: parseNumberFlag('--backoff', o.backoff, 0) * 1000,
    maxBackoffMs: 60_000,
    timeoutMs: parseNumberFlag('--timeout', o.timeout, 0.001) * 1000,
  };
}

async function teach(ws: Workspace, o: TeachFlags): Promise<void> {
  if (!o.backend)
    throw new UserError(
      '--backend: required to run the teacher (template, openai or batch); --status and --show need none',
    );
  if (o.backend !== 'template' && !o.model) throw new UserError(`--model: required with --backend ${o.backend}`);
  if (o.backend === 'batch' && !o.export && !o.import && !o.dryRun)
    throw new UserError('--backend batch: give --export FILE (write pending prompts) or --import FILE (read results)');
  if (o.backend !== 'batch' && (o.export || o.import))
    throw new UserError(`--${o.export ? 'export' : 'import'}: only with --backend batch`);
  const flags = promptFlags(o);
  const run = runFlags(o);
  if (o.backend === 'template' && flags.mode === 'unguided')
    throw new UserError(
      '--mode unguided: the template teacher cannot predict without the target; use --backend openai or batch',
    );
  // Prompt settings carry over from the last run so a resumed run asks the same prompts.
  // (The mode and the subset are chosen per run, never inherited.)
  const saved = savedConfig(ws);
  const base = saved
    ? {
        maxWords: saved.maxWords,
        maxTokens: saved.maxTokens,
        temperature: saved.temperature,
        contextItems: saved.contextItems,
        candidates: saved.candidates,
        templates: saved.templates,
      }
    : {};
  const config = teachConfigSchema.parse({
    ...base,
    ...flags,
    ...subsetFlags(o),
    what: o.what ?? 'all',
    backend: o.backend,
    model: modelFor(o.backend, o.model),
  });
  const label = teacherLabel(config);
  // A wrong URL, key or model fails before the dataset is loaded.
  const llm =
    config.backend === 'openai' && !o.dryRun
      ? new OpenAIBackend({
          baseUrl: o.baseUrl,
          model: config.model,
          apiKey: process.env[o.apiKeyEnv],
          apiKeyEnv: o.apiKeyEnv,
          timeoutMs: run.timeoutMs,
          connections: run.concurrency,
          temperature: config.temperature,
          maxTokens: config.maxTokens,
        })
      : undefined;
  try {
    await llm?.preflight();
    const view = trainingView(ws, loadDataset(ws));
    const settings = promptSettings(config, view);
    const plan = planJobs(view, config, settings);
    const jobs = [...plan.reasoning, ...plan.items];
    const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
    if (o.dryRun) return dryRun(jobs, store, config, label);
    saveConfig(ws, config);

    if (config.backend === 'batch') {
      if (o.export) {
        const r = exportBatch(o.export, jobs, store, settings);
        process.stdout.write(
          `${label}: wrote ${r.written} prompts to ${o.export} (${r.alreadyDone} already answered); run it as an OpenAI/vLLM batch, then: r2end teach --work ${o.work} --backend batch --model ${config.model} --import RESULTS.jsonl\n`,
        );
      }
      if (o.import) {
        const r = await importBatch(o.import, jobs, store);
        process.stdout.write(
          `${label}: imported ${r.stored} answers, ${r.failed} failed, ${r.alreadyDone} already answered, ${r.unknown} lines match no current prompt\n`,
        );
        reportFailures(r.failures, view);
      }
      return;
    }

    const backend: OnlineBackend = llm ?? new TemplateTeacher(view);
    const report = await runJobs(jobs, backend, store, { ...run, progress: `teach ${label}` });
    const rate = report.seconds > 0 ? report.requests / report.seconds : 0;
    const work = backend.isLLM
      ? `${report.requests} requests in ${report.seconds.toFixed(1)} s (${rate.toFixed(1)}/s), ${report.completionTokens} completion tokens`
      : `written in ${report.seconds.toFixed(1)} s`;
    process.stdout.write(
      `${label}: ${report.done} answered, ${report.failed} failed, ${report.cached} already answered; ${work}\n`,
    );
    reportFailures(report.failures, view);
  } finally {
    llm?.close();
  }
}

function reportFailures(failures: FailureNote[], view: TrainingView): void {
  if (!failures.length) return;
  const name = (f: FailureNote) =>
    f.kind === 'description' ? `item ${view.ds.items[f.subject].id}` : `user ${view.ds.userIds[f.subject]}`;
  for (const f of failures.slice(0, 5)) process.stderr.write(`failed: ${f.kind} for ${name(f)}: ${f.reason}\n`);
  if (failures.length > 5) process.stderr.write(`... and ${failures.length - 5} more failures\n`);
  process.stderr.write(
    `${failures.length} prompt(s) failed and are NOT used; run the same command again to retry them (see --status)\n`,
  );
}

function dryRun(jobs: TeacherJob[], store: TeacherStore, config: TeachConfig, label: string): void {
  const done = store.doneHashes();
  const pending = jobs.filter((j) => !done.has(j.hash));
  const chars = pending.reduce((s, j) => s + j.prompt.length, 0);
  const byKind = (k: string) => jobs.filter((j) => j.kind === k).length;
  const lines = [
    `${label}: ${jobs.length} prompts (reasoning ${byKind('reasoning') + byKind('unguided')}, items ${byKind('description')}), ${pending.length} not yet answered`,
    `token estimate for those: ~${Math.round(chars / 4)} prompt tokens (4 characters per token), up to ${pending.length * config.maxTokens} completion tokens (max_tokens ${config.maxTokens})`,
  ];
  if (jobs.length) lines.push(`first prompt (${jobs[0].kind}):`, jobs[0].prompt);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function inspect(ws: Workspace, o: TeachFlags): void {
  // The saved settings, with any teacher or prompt flag given here applied on top.
  const saved = resolveConfig(ws, { backend: o.backend, model: o.model, mode: o.mode });
  const sub = o.limit || o.ratio ? subsetFlags(o) : { limit: saved.limit, ratio: saved.ratio };
  const config = teachConfigSchema.parse({ ...saved, ...promptFlags(o), ...sub, what: o.what ?? 'all' });
  const ds = loadDataset(ws);
  const view = trainingView(ws, ds);
  const label = teacherLabel(config);
  if (o.status) {
    const status = teachStatus(ws, view, config);
    process.stdout.write(o.json ? `${JSON.stringify(status)}\n` : formatStatus(status, label, config));
    return;
  }
  const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
  const s = promptSettings(config, view);
  const all = planJobs(view, { ...config, limit: undefined, ratio: undefined, what: 'all' }, s);
  let job: TeacherJob | undefined;
  if (o.show) {
    const u = ds.userIndex.get(o.show);
    check(u !== undefined, `--show ${o.show}: no such user in this workspace`);
    job = all.reasoning.find((j) => j.subject === u);
    check(job, `--show ${o.show}: this user has too few training interactions for a reasoning prompt`);
  } else {
    const i = ds.itemIndex.get(o.showItem!);
    check(i !== undefined, `--show-item ${o.showItem}: no such item in this workspace`);
    job = all.items[i];
  }
  const answer = store.response(job.hash);
  const failure = answer ? undefined : store.failure(job.hash);
  const state = answer
    ? 'answer'
    : failure
      ? `FAILED after ${failure.attempts} attempt(s): ${failure.reason}`
      : 'pending (no answer yet)';
  const out = [
    `teacher: ${label}`,
    `${job.kind} prompt for ${o.show ? `user ${o.show}` : `item ${o.showItem}`}:`,
    '',
    job.prompt.trimEnd(),
    '',
    `--- ${state} ---`,
  ];
  if (answer) out.push(answer.text);
  else if (failure?.text) out.push(`rejected answer: ${failure.text}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function formatStatus(s: TeachStatus, label: string, c: TeachConfig): string {
  const line = (name: string, k: TeachStatus['items']) =>
    `${name} ${k.total} total, ${k.done} done, ${k.failed} failed, ${k.pending} pending`;
  const subsetNote = c.limit ? `, limit ${c.limit}` : c.ratio ? `, ratio ${c.ratio}` : '';
  return [
    `teacher: ${label}, mode ${c.mode}${subsetNote}`,
    line(c.mode === 'unguided' ? 'reasoning (unguided):' : 'reasoning:', s.reasoning),
    line('items:    ', s.items),
    '',
  ].join('\n');
}
