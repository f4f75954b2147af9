import { writeFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { TransientError } from './backend.js';
import { GuardTally, mentionReason, type HeldOutGuard, type HeldOutMention } from './held-out-guard.js';
import { importLines } from './import-lines.js';
import { chatRequestBody, parseCompletion } from './openai.js';
import type { PromptSettings, TeacherJob } from './prompts.js';
import type { TeacherStore } from './store.js';
import { checkAnswer } from './validate.js';

/**
 * The `batch` backend: pending prompts go out as an OpenAI Batch API input file (also what
 * vLLM's `run_batch` reads); the result file comes back in through `importBatch`. The
 * custom_id is the prompt hash, so results match prompts whatever order they return in.
 */
export function exportBatch(
  file: string,
  jobs: readonly TeacherJob[],
  store: TeacherStore,
  s: PromptSettings,
): { written: number; alreadyDone: number } {
  const done = store.doneHashes();
  const pending = [...new Map(jobs.filter((j) => !done.has(j.hash)).map((j) => [j.hash, j])).values()];
  const lines = pending.map((j) =>
    JSON.stringify({
      custom_id: j.hash,
      method: 'POST',
      url: '/v1/chat/completions',
      body: chatRequestBody(store.teacher.model, j.prompt, s),
    }),
  );
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
  return { written: pending.length, alreadyDone: jobs.length - jobs.filter((j) => !done.has(j.hash)).length };
}

export interface ImportReport {
  stored: number;
  /** Answers refused as unusable (errors, empty, cut off, ...); not those the held-out guard refused. */
  failed: number;
  /** Reasoning answers that name one of the user's validation or test items: refused, recorded as failures. */
  heldOut: GuardTally;
  /** Lines whose prompt already had an answer. */
  alreadyDone: number;
  /** Lines whose custom_id matches no prompt of the current settings. */
  unknown: number;
  failures: Array<{ kind: TeacherJob['kind']; subject: number; reason: string }>;
}

type BatchResult = {
  custom_id: string;
  response?: { status_code?: unknown; body?: unknown } | null;
  error?: unknown;
};

/** The lines of a batch result file, each refused unless it is a result object of strict UTF-8. */
async function* batchLines(file: string): AsyncGenerator<BatchResult> {
  const expected = 'one batch result object per line';
  for await (const { where, value } of importLines(file, expected)) {
    const rec = value as Partial<BatchResult> | null;
    if (typeof rec?.custom_id !== 'string')
      throw new UserError(
        `${where}: not an OpenAI batch result line (expected {"custom_id", "response": {"status_code", "body"}})`,
      );
    yield rec as BatchResult;
  }
}

/** Reads a whole batch result file for bad lines, so one is refused before anything is stored. */
export async function checkBatchFile(file: string): Promise<void> {
  for await (const line of batchLines(file)) void line;
}

/**
 * Reads a batch result file (JSON lines `{"custom_id", "response": {"status_code", "body"}, "error"}`).
 * A reasoning answer that names a held-out item of any user it would serve is refused by `guard`.
 */
export async function importBatch(
  file: string,
  jobs: readonly TeacherJob[],
  store: TeacherStore,
  guard: HeldOutGuard,
): Promise<ImportReport> {
  // Identical prompts are asked once and their answer serves every job that has that prompt.
  const byHash = new Map<string, TeacherJob[]>();
  for (const j of jobs) {
    const same = byHash.get(j.hash);
    if (same) same.push(j);
    else byHash.set(j.hash, [j]);
  }
  const done = store.doneHashes();
  const report: ImportReport = {
    stored: 0,
    failed: 0,
    heldOut: new GuardTally(),
    alreadyDone: 0,
    unknown: 0,
    failures: [],
  };
  for await (const rec of batchLines(file)) {
    const sharing = byHash.get(rec.custom_id);
    if (!sharing) {
      report.unknown++;
      continue;
    }
    const job = sharing[0];
    if (done.has(job.hash)) {
      report.alreadyDone++;
      continue;
    }
    const fail = (reason: string, text: string | null, mentions?: HeldOutMention[]) => {
      store.fail(job.hash, { kind: job.kind, subject: job.subject, attempts: 1, reason, text });
      report.failures.push({ kind: job.kind, subject: job.subject, reason });
      if (mentions) report.heldOut.record(mentions);
      else report.failed++;
    };
    const status = rec.response?.status_code;
    if (rec.error || status !== 200) {
      fail(rec.error ? `batch error: ${JSON.stringify(rec.error).slice(0, 200)}` : `HTTP ${String(status)}`, null);
      continue;
    }
    let c;
    try {
      c = parseCompletion(JSON.stringify(rec.response?.body));
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      fail(err.message, null);
      continue;
    }
    const verdict = checkAnswer(job, c);
    if (!verdict.ok) {
      fail(verdict.reason, c.text);
      continue;
    }
    const mentions = job.kind === 'description' ? [] : sharing.flatMap((j) => guard.mentions(j.subject, c.text));
    if (mentions.length) {
      fail(mentionReason(mentions, guard.userId), c.text, mentions);
      continue;
    }
    store.put(job.hash, {
      kind: job.kind,
      subject: job.subject,
      text: c.text.trim(),
      finishReason: c.finishReason,
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
      predictionMatch: verdict.predictionMatch,
    });
    done.add(job.hash);
    report.stored++;
  }
  return report;
}
