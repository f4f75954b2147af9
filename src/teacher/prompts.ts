import { createHash } from 'node:crypto';
import {
  DEFAULT_VERBALIZE,
  isoDate,
  itemText,
  verbalizeHistory,
  type HistoryEntry,
  type VerbalizeOptions,
} from '../data/verbalize.js';
import { priorItemCounts, reasoningTarget, review, type TrainingView } from './context.js';
import { render, type PromptKind, type Template } from './templates.js';

/** Everything that shapes a prompt and the request sent with it. */
export interface PromptSettings {
  templates: Record<PromptKind, Template>;
  /** The paper's "max {max_words} words" (512). */
  maxWords: number;
  verbalize: VerbalizeOptions;
  /** Description prompts list at most this many prior purchases (or reviews) of the item's buyers. */
  contextItems: number;
  /** Unguided prompts offer this many candidates (the true item among sampled others). */
  candidates: number;
  /** Sent with each request; part of the cache key. */
  temperature: number;
  maxTokens: number;
}

/** One prompt to answer: for a user (reasoning, unguided) or an item (description). */
export interface TeacherJob {
  kind: PromptKind;
  /** User index (reasoning, unguided) or item index (description). */
  subject: number;
  prompt: string;
  /** Cache key part: hash of the prompt and the generation settings. */
  hash: string;
  /** Unguided only: the 1-based candidate number of the true item, and how many candidates. */
  answer?: number;
  choices?: number;
}

const REVIEW_WORDS = 60;

export function requestHash(prompt: string, s: Pick<PromptSettings, 'temperature' | 'maxTokens'>): string {
  return createHash('sha256')
    .update(JSON.stringify([prompt, s.temperature, s.maxTokens]))
    .digest('hex');
}

/** H_u for the reasoning target: the training items before it, verbalised as the paper does. */
export function historyText(
  view: TrainingView,
  user: number,
  end: number,
  referenceTime: number,
  opts: VerbalizeOptions = DEFAULT_VERBALIZE,
): string {
  const { items, sequences, times } = view.ds;
  const entries: HistoryEntry[] = [];
  for (let p = 0; p < end; p++) entries.push({ item: items[sequences[user][p]], timestamp: times[user][p] });
  return verbalizeHistory(entries, referenceTime, opts, 'id');
}

/**
 * A text imported from outside (`teach --import`) has no prompt: it is keyed by its subject's id
 * and the data's fingerprint (which fixes the split its held-out check used), so texts imported
 * for other data never match.
 */
export function importedJob(
  kind: 'reasoning' | 'description',
  subject: number,
  id: string,
  fingerprint: string,
): TeacherJob {
  const hash = createHash('sha256')
    .update(JSON.stringify(['import', fingerprint, kind, id]))
    .digest('hex');
  return { kind, subject, prompt: '', hash };
}

export function reasoningJob(view: TrainingView, user: number, s: PromptSettings): TeacherJob | undefined {
  const t = reasoningTarget(view, user);
  if (!t) return undefined;
  const time = view.ds.times[user][t.history];
  const target = itemText(view.ds.items[t.target], s.verbalize.fields, 'id');
  const prompt = render(s.templates.reasoning, {
    user_purchase_history: historyText(view, user, t.history, time, s.verbalize),
    target_item: s.verbalize.dates ? `${isoDate(time)}: ${target}` : target,
    max_words: String(s.maxWords),
  });
  return { kind: 'reasoning', subject: user, prompt, hash: requestHash(prompt, s) };
}

export function unguidedJob(
  view: TrainingView,
  user: number,
  s: PromptSettings,
  pool: Int32Array,
): TeacherJob | undefined {
  const t = reasoningTarget(view, user);
  if (!t) return undefined;
  const { candidates, answer } = sampleCandidates(view, user, t.target, s.candidates, pool);
  const prompt = render(s.templates.unguided, {
    user_purchase_history: historyText(view, user, t.history, view.ds.times[user][t.history], s.verbalize),
    candidate_items: candidates
      .map((c, k) => `[${k + 1}] ${itemText(view.ds.items[c], s.verbalize.fields, 'id')}`)
      .join('\n'),
    max_words: String(s.maxWords),
  });
  return { kind: 'unguided', subject: user, prompt, hash: requestHash(prompt, s), answer, choices: candidates.length };
}

/** Items unguided candidates are drawn from: those with training interactions. */
export function candidatePool(view: TrainingView): Int32Array {
  const pool: number[] = [];
  for (let i = 0; i < view.trainCount.length; i++) if (view.trainCount[i] > 0) pool.push(i);
  return Int32Array.from(pool);
}

/** The target plus distinct other items the user never interacted with, in a seeded order. */
function sampleCandidates(
  view: TrainingView,
  user: number,
  target: number,
  n: number,
  pool: Int32Array,
): { candidates: number[]; answer: number } {
  const rand = mulberry32(0x9e3779b9 ^ user);
  const own = new Set(view.ds.sequences[user]);
  const picked = new Set<number>();
  const want = Math.min(n - 1, pool.length - own.size);
  for (let tries = 0; picked.size < want && tries < 50 * n; tries++) {
    const c = pool[Math.floor(rand() * pool.length)];
    if (!own.has(c)) picked.add(c);
  }
  const candidates = [...picked];
  const at = Math.floor(rand() * (candidates.length + 1));
  candidates.splice(at, 0, target);
  return { candidates, answer: at + 1 };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function descriptionJob(view: TrainingView, item: number, s: PromptSettings): TeacherJob {
  const it = view.ds.items[item];
  const prompt = render(s.templates.description, {
    item_title: it.title.trim() || 'Not available',
    brand: it.brand ?? 'Not available',
    categories: it.categories.length ? it.categories.map((p) => p.join(' > ')).join(', ') : 'Not available',
    description: it.description?.trim() || 'Not available',
    previous_item_reviews: itemContext(view, item, s) || 'None (no earlier buyers in the training data).',
    max_words: String(s.maxWords),
  });
  return { kind: 'description', subject: item, prompt, hash: requestHash(prompt, s) };
}

/**
 * What the item's training buyers bought just before it (time T-1): with review text, their
 * reviews of those purchases, newest first; without, the distinct prior items, most frequent first.
 */
function itemContext(view: TrainingView, item: number, s: PromptSettings): string {
  const { items, sequences } = view.ds;
  if (view.reviews.size > 0) {
    const lines: string[] = [];
    const pairs = view.priors[item];
    for (let k = 0; k < pairs.length && lines.length < s.contextItems; k += 2) {
      const text = review(view, pairs[k], pairs[k + 1]);
      if (text)
        lines.push(
          `- ${itemText(items[sequences[pairs[k]][pairs[k + 1]]], s.verbalize.fields, 'id')}: "${truncateWords(text, REVIEW_WORDS)}"`,
        );
    }
    return lines.join('\n');
  }
  return priorItemCounts(view, item)
    .slice(0, s.contextItems)
    .map(
      ([prev, n]) =>
        `- ${itemText(items[prev], s.verbalize.fields, 'id')} (bought just before it by ${n} user${n === 1 ? '' : 's'})`,
    )
    .join('\n');
}

function truncateWords(text: string, max: number): string {
  const words = text.trim().split(/\s+/);
  return words.length <= max ? words.join(' ') : `${words.slice(0, max).join(' ')} ...`;
}
