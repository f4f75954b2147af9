import type { Completion } from './backend.js';
import type { TeacherJob } from './prompts.js';
import type { PromptKind } from './templates.js';

/** The opening each prompt demands (quotes and case normalised, so ’ and ' both pass). */
const OPENINGS: Record<PromptKind, { re: RegExp; text: string }> = {
  reasoning: {
    re: /^the user's preferences related to the target item\b/,
    text: "The user's preferences related to the target item ...",
  },
  unguided: { re: /^the user's preferences\b/, text: "The user's preferences are as follows:" },
  description: { re: /^users who prefer\b/, text: 'Users who prefer ...' },
};

export type Verdict = { ok: true; predictionMatch: boolean | null } | { ok: false; reason: string };

/**
 * Whether an answer may be used: not empty, not cut off, opening as instructed, and for unguided
 * prompts a prediction naming one of the candidates. Anything else is a failure, never data.
 * The opening is not demanded of the template teacher, which writes its own compact format.
 */
export function checkAnswer(job: TeacherJob, c: Completion, { opening = true } = {}): Verdict {
  const text = c.text.trim();
  if (!text) return { ok: false, reason: 'empty answer' };
  if (c.finishReason === 'length')
    return { ok: false, reason: 'answer cut off (finish_reason: length); raise --max-tokens' };
  const want = OPENINGS[job.kind];
  if (opening && !want.re.test(normalise(text)))
    return { ok: false, reason: `answer does not start with "${want.text}"` };
  if (job.kind !== 'unguided') return { ok: true, predictionMatch: null };
  const n = prediction(text);
  if (n === undefined) return { ok: false, reason: 'answer has no "Prediction: [number]" line' };
  const choices = job.choices ?? 0;
  if (n < 1 || n > choices) return { ok: false, reason: `prediction ${n} is not a candidate number (1..${choices})` };
  return { ok: true, predictionMatch: n === job.answer };
}

function normalise(text: string): string {
  return text
    .replace(/^[\s*"“_#>]+/, '')
    .replace(/[’‘`]/g, "'")
    .toLowerCase();
}

const PREDICTION = /prediction\s*:?\s*\**\s*\[?\s*(\d+)\s*\]?/gi;

function prediction(text: string): number | undefined {
  const all = [...text.matchAll(PREDICTION)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
}

/** The reasoning without its closing prediction line (candidate numbers mean nothing later). */
export function withoutPrediction(text: string): string {
  return text.replace(/\n?[^\S\n]*\**prediction\s*:?[^\n]*\s*$/i, '').trim();
}
