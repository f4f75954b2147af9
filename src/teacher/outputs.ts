import { createHash } from 'node:crypto';
import { loadDataset, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { UserError } from '../util/errors.js';
import { isLLMBackend, teacherLabel } from './backend.js';
import {
  BACKENDS,
  modelFor,
  planJobs,
  savedConfig,
  teachConfigSchema,
  type BackendName,
  type JobPlan,
  type TeachConfig,
} from './config.js';
import { trainingView, type TrainingView } from './context.js';
import { storedTeachers, TeacherStore } from './store.js';
import { withoutPrediction } from './validate.js';

/** Which teacher's texts to use. Unset fields come from the workspace's last `teach` run. */
export interface TeacherSelection {
  backend?: BackendName;
  model?: string;
  mode?: 'oracle' | 'unguided';
  /** Unguided only: `matching` keeps answers whose prediction was the true item (paper ablation 4). */
  keep?: 'all' | 'matching';
}

/**
 * How to name the teacher in reports: `label` is "template (not an LLM)" for the template
 * teacher, "LLM <model> (...)" otherwise, with ", unguided[, matching predictions only]" for the
 * ablations.
 */
export interface TeacherInfo {
  backend: BackendName;
  model: string;
  isLLM: boolean;
  mode: 'oracle' | 'unguided';
  keep: 'all' | 'matching';
  label: string;
}

/** The teacher's texts for training: R_u by training user index, D_i by item index. */
export interface TeacherOutputs {
  teacher: TeacherInfo;
  /** Users with a stored good answer only (reasoning about their last training item). */
  reasoning: Map<number, string>;
  /** Items with a stored good answer only. */
  descriptions: Map<number, string>;
}

/**
 * The API the training pipeline calls: for the selected teacher, every stored good answer to the
 * prompts the workspace's settings build (all users and items, whatever --limit a run used).
 * Failed and pending prompts are simply absent; unguided answers lose their "Prediction:" line.
 */
export function loadTeacherOutputs(
  ws: Workspace,
  selection: TeacherSelection = {},
  ds: Dataset = loadDataset(ws),
): TeacherOutputs {
  const config = resolveConfig(ws, selection);
  const keep = selection.keep ?? 'all';
  const view = trainingView(ws, ds);
  const plan = planJobs(view, { ...config, what: 'all', limit: undefined, ratio: undefined });
  const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
  const reasoningKind = config.mode === 'unguided' ? 'unguided' : 'reasoning';
  const answers = store.texts(reasoningKind);
  const reasoning = new Map<number, string>();
  for (const job of plan.reasoning) {
    const a = answers.get(job.hash);
    if (!a || (keep === 'matching' && a.predictionMatch !== true)) continue;
    reasoning.set(job.subject, reasoningKind === 'unguided' ? withoutPrediction(a.text) : a.text);
  }
  const described = store.texts('description');
  const descriptions = new Map<number, string>();
  for (const job of plan.items) {
    const a = described.get(job.hash);
    if (a) descriptions.set(job.subject, a.text);
  }
  return { teacher: teacherInfo(config, keep), reasoning, descriptions };
}

/**
 * A digest of every text the outputs hold, so that work built on them is redone when they change
 * (a new import under the same name, more users taught) and not only when the teacher does.
 */
export function textsDigest(out: TeacherOutputs): string {
  return createHash('sha256')
    .update(JSON.stringify([[...out.reasoning], [...out.descriptions]]))
    .digest('hex');
}

export function teacherInfo(
  c: Pick<TeachConfig, 'backend' | 'model' | 'mode'>,
  keep: 'all' | 'matching' = 'all',
): TeacherInfo {
  const ablation = c.mode === 'unguided' ? `, unguided${keep === 'matching' ? ', matching predictions only' : ''}` : '';
  return {
    backend: c.backend,
    model: c.model,
    isLLM: isLLMBackend(c.backend),
    mode: c.mode,
    keep,
    label: `${teacherLabel(c)}${ablation}`,
  };
}

/**
 * The saved settings with the selection applied; a teacher must be named somewhere. A model name
 * without a backend means the one backend holding texts under that name (or the last run's).
 */
export function resolveConfig(ws: Workspace, selection: Omit<TeacherSelection, 'keep'>): TeachConfig {
  const saved = savedConfig(ws);
  const backend =
    selection.backend ?? (selection.model === undefined ? saved?.backend : backendOf(ws, selection.model, saved));
  if (!backend)
    throw new UserError(
      `--work ${ws.dir}: no teacher has run in this workspace; run \`r2end teach --work ${ws.dir} --backend template\` (or openai/batch) first`,
    );
  const model = modelFor(backend, selection.model ?? (backend === saved?.backend ? saved.model : undefined));
  if (!model) throw new UserError(`teacher ${backend}: no model given (--model NAME)`);
  if (backend === 'import' && selection.mode === 'unguided')
    throw new UserError(
      `teacher import ${model}: imported texts have no unguided mode (that is the openai and batch teachers')`,
    );
  // Imported texts are one kind whatever mode an earlier run saved.
  const mode = backend === 'import' ? 'oracle' : (selection.mode ?? saved?.mode);
  return teachConfigSchema.parse({ ...saved, backend, model, mode });
}

/** The backend storing texts under `model`: exactly one, or the last run's if it used that name. */
function backendOf(ws: Workspace, model: string, saved: TeachConfig | undefined): BackendName {
  const stored = storedTeachers(ws.db);
  const found = new Set(stored.filter((t) => t.model === model).map((t) => t.backend));
  if (saved?.model === model) found.add(saved.backend);
  const backends = BACKENDS.filter((b) => found.has(b));
  if (backends.length === 1) return backends[0];
  if (backends.length > 1)
    throw new UserError(
      `teacher model ${model}: texts of several teachers are stored under this name (${backends.join(', ')}); name the backend too (train --teacher, teach --backend)`,
    );
  const list = stored.map((t) => `${t.backend} ${t.model}`).join(', ');
  throw new UserError(
    `teacher model ${model}: no texts are stored under this name in ${ws.dir} (${list ? `stored: ${list}` : 'none stored yet'})`,
  );
}

export interface KindStatus {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

export interface TeachStatus {
  reasoning: KindStatus;
  items: KindStatus;
}

/** Counts over the prompts the settings call for (`teach --status`). */
export function teachStatus(
  ws: Workspace,
  view: TrainingView,
  config: TeachConfig,
  plan: JobPlan = planJobs(view, config),
): TeachStatus {
  const store = TeacherStore.open(ws, { backend: config.backend, model: config.model });
  const done = store.doneHashes();
  const failed = store.failedHashes();
  const count = (jobs: JobPlan['items']): KindStatus => {
    const s = { total: jobs.length, done: 0, failed: 0, pending: 0 };
    for (const j of jobs) {
      if (done.has(j.hash)) s.done++;
      else if (failed.has(j.hash)) s.failed++;
      else s.pending++;
    }
    return s;
  };
  return { reasoning: count(plan.reasoning), items: count(plan.items) };
}
