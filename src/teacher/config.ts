import { z } from 'zod';
import { datasetFingerprint } from '../data/dataset.js';
import { DEFAULT_VERBALIZE } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { TrainingView } from './context.js';
import {
  candidatePool,
  descriptionJob,
  importedJob,
  reasoningJob,
  unguidedJob,
  type PromptSettings,
  type TeacherJob,
} from './prompts.js';
import { TEMPLATE_MODEL } from './template-teacher.js';
import { checkTemplate, defaultTemplate, type PromptKind } from './templates.js';

/** Where a teacher's texts come from; `import`: texts written outside r2end (`teach --import`). */
export const BACKENDS = ['template', 'openai', 'batch', 'import'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** The backends a `teach` run asks (an import has no prompts). */
export type RunBackend = Exclude<BackendName, 'import'>;

const templateSchema = z.object({ text: z.string(), source: z.string() });

/**
 * The teacher settings of a workspace, saved by each `teach` run (meta key `teacher`) so that
 * `--status`, `--show` and the training pipeline rebuild exactly the prompts that were asked.
 */
export const teachConfigSchema = z.object({
  backend: z.enum(BACKENDS),
  model: z.string(),
  /** oracle: the paper's oracle-guided reasoning; unguided: no target shown (ablations 3, 4). */
  mode: z.enum(['oracle', 'unguided']).default('oracle'),
  what: z.enum(['reasoning', 'items', 'all']).default('all'),
  limit: z.number().int().positive().optional(),
  ratio: z.number().positive().max(1).optional(),
  maxWords: z.number().int().positive().default(512),
  maxTokens: z.number().int().positive().default(1024),
  temperature: z.number().min(0).default(0),
  contextItems: z.number().int().positive().default(10),
  candidates: z.number().int().min(2).default(20),
  /** Override templates by kind (their text, so prompts rebuild without the files). */
  templates: z.record(z.string(), templateSchema).default({}),
});
export type TeachConfig = z.infer<typeof teachConfigSchema>;

const META_KEY = 'teacher';

export function savedConfig(ws: Workspace): TeachConfig | undefined {
  const raw = ws.getMeta<unknown>(META_KEY);
  return raw === undefined ? undefined : teachConfigSchema.parse(raw);
}

export function saveConfig(ws: Workspace, c: TeachConfig): void {
  ws.setMeta(META_KEY, c);
}

/**
 * The settings that shape prompts, from the last run, so a later run asks the same prompts; the
 * teacher, mode, subset and `what` are chosen per run, never inherited.
 */
export function carriedSettings(saved: TeachConfig | undefined): Partial<TeachConfig> {
  if (!saved) return {};
  const { maxWords, maxTokens, temperature, contextItems, candidates, templates } = saved;
  return { maxWords, maxTokens, temperature, contextItems, candidates, templates };
}

/** The model name a backend's answers are stored under. */
export function modelFor(backend: BackendName, model: string | undefined): string | undefined {
  return backend === 'template' ? TEMPLATE_MODEL : model;
}

export function promptSettings(c: TeachConfig, view: TrainingView): PromptSettings {
  const kinds: PromptKind[] = ['reasoning', 'unguided', 'description'];
  const templates = Object.fromEntries(
    kinds.map((k) => {
      const o = c.templates[k];
      return [k, o ? checkTemplate(k, o.text, o.source) : defaultTemplate(k, view.reviews.size > 0)];
    }),
  ) as PromptSettings['templates'];
  return {
    templates,
    maxWords: c.maxWords,
    verbalize: DEFAULT_VERBALIZE,
    contextItems: c.contextItems,
    candidates: c.candidates,
    temperature: c.temperature,
    maxTokens: c.maxTokens,
  };
}

/** The prompts the settings call for: reasoning (oracle or unguided) per user, description per item. */
export interface JobPlan {
  reasoning: TeacherJob[];
  items: TeacherJob[];
}

/**
 * The jobs of every user with a reasoning target (two or more training interactions) and every
 * item; for imported texts, the keys they are stored under instead of prompts.
 */
export function planJobs(view: TrainingView, c: TeachConfig, s = promptSettings(c, view)): JobPlan {
  const { ds } = view;
  const plan: JobPlan = { reasoning: [], items: [] };
  const fingerprint = c.backend === 'import' ? datasetFingerprint(ds) : '';
  if (c.what !== 'items') {
    const pool = c.mode === 'unguided' ? candidatePool(view) : new Int32Array(0);
    const eligible = ds.userIds.map((_, u) => u).filter((u) => view.trainLen[u] >= 2);
    for (const u of subset(eligible, ds.userIds, c)) {
      const job =
        c.backend === 'import'
          ? importedJob('reasoning', u, ds.userIds[u], fingerprint)
          : c.mode === 'unguided'
            ? unguidedJob(view, u, s, pool)
            : reasoningJob(view, u, s);
      if (job) plan.reasoning.push(job);
    }
  }
  if (c.what !== 'reasoning') {
    const all = ds.items.map((_, i) => i);
    for (const i of subset(
      all,
      ds.items.map((it) => it.id),
      c,
    ))
      plan.items.push(
        c.backend === 'import'
          ? importedJob('description', i, ds.items[i].id, fingerprint)
          : descriptionJob(view, i, s),
      );
  }
  return plan;
}

/**
 * `--limit N` / `--ratio R`: the first N (or R of all) subjects in a fixed pseudo-random order of
 * their ids, returned in index order. Smaller subsets are prefixes of larger ones, so growing a
 * ratio reuses every answer already paid for.
 */
export function subset(indices: number[], ids: readonly string[], c: Pick<TeachConfig, 'limit' | 'ratio'>): number[] {
  if (c.limit === undefined && c.ratio === undefined) return indices;
  const n = c.limit ?? Math.max(1, Math.round((c.ratio ?? 1) * indices.length));
  const keyed = indices.map((i) => [fnv1a(ids[i]), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return keyed
    .slice(0, n)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
