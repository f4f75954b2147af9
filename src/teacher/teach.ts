import { loadDataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { UserError, check } from '../util/errors.js';
import { teacherLabel, type OnlineBackend } from './backend.js';
import { checkBatchFile, exportBatch, importBatch } from './batch.js';
import {
  carriedSettings,
  modelFor,
  planJobs,
  promptSettings,
  saveConfig,
  savedConfig,
  teachConfigSchema,
  type BackendName,
  type RunBackend,
  type TeachConfig,
} from './config.js';
import { trainingView, type TrainingView } from './context.js';
import { HeldOutGuard } from './held-out-guard.js';
import { OpenAIBackend } from './openai.js';
import { resolveConfig, teachStatus, type TeachStatus } from './outputs.js';
import type { TeacherJob } from './prompts.js';
import { runJobs, type FailureNote, type RunOptions } from './runner.js';
import { TeacherStore, type StoredFailure, type StoredResponse } from './store.js';
import { TemplateTeacher } from './template-teacher.js';
import { defaultTemplate, loadTemplate, type PromptKind } from './templates.js';

export { BACKENDS } from './config.js';

/** Where the doubling retry pause stops growing. */
const MAX_BACKOFF_MS = 60_000;

const TEMPLATE_KINDS: PromptKind[] = ['reasoning', 'unguided', 'description'];

/** A default template to print; description-reviews is the description prompt for data with review text. */
export type TemplateChoice = PromptKind | 'description-reviews';

export function defaultTemplateText(which: TemplateChoice): string {
  return defaultTemplate(which === 'description-reviews' ? 'description' : which, which === 'description-reviews').text;
}

/** Settings that shape prompts; unset ones keep their saved or default values. */
export interface PromptRequest {
  maxWords?: number;
  maxTokens?: number;
  contextItems?: number;
  candidates?: number;
  /** Override template files by kind. */
  templateFiles?: Partial<Record<PromptKind, string>>;
}

export type Subset = Pick<TeachConfig, 'limit' | 'ratio'>;

export type TeachRunOptions = Pick<RunOptions, 'concurrency' | 'attempts' | 'retries' | 'backoffMs'> & {
  timeoutMs: number;
};

export interface TeachRequest {
  /** The workspace folder as the user named it, quoted in the command to run after an export. */
  work: string;
  backend: RunBackend;
  /** Required with openai and batch; the template teacher has its own. */
  model?: string;
  /** openai: the server URL up to /v1, and the environment variable holding the API key. */
  baseUrl: string;
  apiKeyEnv: string;
  what?: TeachConfig['what'];
  mode?: TeachConfig['mode'];
  run: TeachRunOptions;
  prompt: PromptRequest;
  subset: Subset;
  /** Count the prompts and print the first one; nothing is sent or saved. */
  dryRun?: boolean;
  /** batch: write pending prompts to an OpenAI Batch JSONL file, read results from one. */
  exportFile?: string;
  importFile?: string;
}

/** Where a run reports: `write` for its results, `log` for lines about failures. */
export interface TeachOutput {
  write(text: string): void;
  log(line: string): void;
}

/**
 * Runs the teacher for the prompts the request calls for, storing every answer: the template
 * teacher or an OpenAI-compatible server, or a batch file written or read.
 */
export async function teach(ws: Workspace, request: TeachRequest, out: TeachOutput): Promise<void> {
  const prompt = promptLayer(request.prompt);
  if (request.backend === 'template' && request.mode === 'unguided')
    throw new UserError(
      '--mode unguided: the template teacher cannot predict without the target; use --backend openai or batch',
    );
  const config = teachConfigSchema.parse({
    ...carriedSettings(savedConfig(ws)),
    ...prompt,
    ...request.subset,
    mode: request.mode,
    what: request.what ?? 'all',
    backend: request.backend,
    model: modelFor(request.backend, request.model),
  });
  const label = teacherLabel(config);
  // A bad result line is refused before any setting or answer is stored.
  if (request.importFile) await checkBatchFile(request.importFile);
  // A wrong URL, key or model fails before the dataset is loaded.
  const llm =
    config.backend === 'openai' && !request.dryRun
      ? new OpenAIBackend({
          baseUrl: request.baseUrl,
          model: config.model,
          apiKey: process.env[request.apiKeyEnv],
          apiKeyEnv: request.apiKeyEnv,
          timeoutMs: request.run.timeoutMs,
          connections: request.run.concurrency,
          temperature: config.temperature,
          maxTokens: config.maxTokens,
        })
      : undefined;
  try {
    await llm?.preflight();
    const ds = loadDataset(ws);
    const view = trainingView(ws, ds);
    const settings = promptSettings(config, view);
    const plan = planJobs(view, config, settings);
    const jobs = [...plan.reasoning, ...plan.items];
    const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
    if (request.dryRun) return dryRun(jobs, store, config, label, out);
    saveConfig(ws, config);

    if (config.backend === 'batch') {
      if (request.exportFile) {
        const r = exportBatch(request.exportFile, jobs, store, settings);
        out.write(
          `${label}: wrote ${r.written} prompts to ${request.exportFile} (${r.alreadyDone} already answered); run it as an OpenAI/vLLM batch, then: r2end teach --work ${request.work} --backend batch --model ${config.model} --import RESULTS.jsonl\n`,
        );
      }
      if (request.importFile) {
        const r = await importBatch(request.importFile, jobs, store, new HeldOutGuard(ds));
        out.write(
          `${label}: imported ${r.stored} answers, ${r.failed} failed, ${r.heldOut.describe()}, ${r.alreadyDone} already answered, ${r.unknown} lines match no current prompt\n`,
        );
        reportFailures(r.failures, view, out);
      }
      return;
    }

    const backend: OnlineBackend = llm ?? new TemplateTeacher(view);
    const report = await runJobs(jobs, backend, store, {
      ...request.run,
      maxBackoffMs: MAX_BACKOFF_MS,
      progress: `teach ${label}`,
    });
    const rate = report.seconds > 0 ? report.requests / report.seconds : 0;
    const work = backend.isLLM
      ? `${report.requests} requests in ${report.seconds.toFixed(1)} s (${rate.toFixed(1)}/s), ${report.completionTokens} completion tokens`
      : `written in ${report.seconds.toFixed(1)} s`;
    out.write(
      `${label}: ${report.done} answered, ${report.failed} failed, ${report.cached} already answered; ${work}\n`,
    );
    reportFailures(report.failures, view, out);
  } finally {
    llm?.close();
  }
}

/** The request's prompt settings as a config layer: only those given, override templates read and checked. */
function promptLayer(p: PromptRequest): Partial<TeachConfig> {
  const layer: Partial<TeachConfig> = {};
  for (const key of ['maxWords', 'maxTokens', 'contextItems', 'candidates'] as const)
    if (p[key] !== undefined) layer[key] = p[key];
  for (const kind of TEMPLATE_KINDS) {
    const file = p.templateFiles?.[kind];
    if (!file) continue;
    // Named by its flag: errors quote it, and it is saved as where the text came from.
    const t = loadTemplate(kind, file, `--${kind}-template`);
    layer.templates = { ...layer.templates, [kind]: { text: t.text, source: t.source } };
  }
  return layer;
}

function reportFailures(failures: FailureNote[], view: TrainingView, out: TeachOutput): void {
  if (!failures.length) return;
  const name = (f: FailureNote) =>
    f.kind === 'description' ? `item ${view.ds.items[f.subject].id}` : `user ${view.ds.userIds[f.subject]}`;
  for (const f of failures.slice(0, 5)) out.log(`failed: ${f.kind} for ${name(f)}: ${f.reason}`);
  if (failures.length > 5) out.log(`... and ${failures.length - 5} more failures`);
  out.log(
    `${failures.length} prompt(s) failed and are NOT used; run the same command again to retry them (see --status)`,
  );
}

function dryRun(jobs: TeacherJob[], store: TeacherStore, config: TeachConfig, label: string, out: TeachOutput): void {
  const done = store.doneHashes();
  const pending = jobs.filter((j) => !done.has(j.hash));
  const chars = pending.reduce((s, j) => s + j.prompt.length, 0);
  const byKind = (k: string) => jobs.filter((j) => j.kind === k).length;
  const lines = [
    `${label}: ${jobs.length} prompts (reasoning ${byKind('reasoning') + byKind('unguided')}, items ${byKind('description')}), ${pending.length} not yet answered`,
    `token estimate for those: ~${Math.round(chars / 4)} prompt tokens (4 characters per token), up to ${pending.length * config.maxTokens} completion tokens (max_tokens ${config.maxTokens})`,
  ];
  if (jobs.length) lines.push(`first prompt (${jobs[0].kind}):`, jobs[0].prompt);
  out.write(`${lines.join('\n')}\n`);
}

export interface InspectRequest {
  /** Teacher and mode to inspect, over the saved ones. */
  backend?: BackendName;
  model?: string;
  mode?: TeachConfig['mode'];
  what?: TeachConfig['what'];
  prompt: PromptRequest;
  /** Unset: the subset of the last run. */
  subset?: Subset;
  target: { kind: 'status' } | { kind: 'user'; id: string } | { kind: 'item'; id: string };
}

export interface StatusInspection {
  kind: 'status';
  label: string;
  config: TeachConfig;
  status: TeachStatus;
}

/** One prompt and what the store holds for it: an answer, a failure, or neither (pending). */
export interface PromptInspection {
  kind: 'prompt';
  label: string;
  /** Whose prompt: "user ID" or "item ID". */
  name: string;
  job: TeacherJob;
  answer?: StoredResponse;
  failure?: StoredFailure;
}

/** Done/failed/pending counts, or one user's reasoning prompt or one item's description prompt. */
export function inspectTeacher(ws: Workspace, request: InspectRequest): StatusInspection | PromptInspection {
  // The saved settings, with any teacher or prompt setting given here applied on top.
  const saved = resolveConfig(ws, { backend: request.backend, model: request.model, mode: request.mode });
  const sub = request.subset ?? { limit: saved.limit, ratio: saved.ratio };
  const config = teachConfigSchema.parse({
    ...saved,
    ...promptLayer(request.prompt),
    ...sub,
    what: request.what ?? 'all',
  });
  const ds = loadDataset(ws);
  const view = trainingView(ws, ds);
  const label = teacherLabel(config);
  const { target } = request;
  if (target.kind === 'status') return { kind: 'status', label, config, status: teachStatus(ws, view, config) };
  const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
  const s = promptSettings(config, view);
  const all = planJobs(view, { ...config, limit: undefined, ratio: undefined, what: 'all' }, s);
  let job: TeacherJob | undefined;
  if (target.kind === 'user') {
    const u = ds.userIndex.get(target.id);
    check(u !== undefined, `--show ${target.id}: no such user in this workspace`);
    job = all.reasoning.find((j) => j.subject === u);
    check(job, `--show ${target.id}: this user has too few training interactions for a reasoning prompt`);
  } else {
    const i = ds.itemIndex.get(target.id);
    check(i !== undefined, `--show-item ${target.id}: no such item in this workspace`);
    job = all.items[i];
  }
  const answer = store.response(job.hash);
  const failure = answer ? undefined : store.failure(job.hash);
  return { kind: 'prompt', label, name: `${target.kind} ${target.id}`, job, answer, failure };
}
