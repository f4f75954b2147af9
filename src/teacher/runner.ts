import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Progress } from '../util/progress.js';
import { RejectedError, TransientError, type OnlineBackend } from './backend.js';
import type { TeacherJob } from './prompts.js';
import type { TeacherStore } from './store.js';
import { GroupCommit } from './group-commit.js';
import { checkAnswer } from './validate.js';

export interface RunOptions {
  /** Requests in flight at most. */
  concurrency: number;
  /** Answers per prompt that may be rejected (empty, cut off, wrong opening) before it is failed. */
  attempts: number;
  /** Retries per prompt after transient errors (429, 5xx, timeouts, dropped connections). */
  retries: number;
  /** First backoff; doubles per retry, with jitter, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Label of a progress bar on stderr (none when unset). */
  progress?: string;
}

export interface FailureNote {
  kind: TeacherJob['kind'];
  subject: number;
  reason: string;
}

export interface RunReport {
  /** Distinct prompts answered now, failed now, and already answered before this run. */
  done: number;
  failed: number;
  cached: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  seconds: number;
  /** The failures of this run (kind, subject, last reason). */
  failures: FailureNote[];
}

/**
 * Answers every job not yet in the store with bounded concurrency. Each good answer is
 * committed (group commit, within an event-loop turn) before it is counted; each prompt ends
 * with one stored answer or one recorded failure. Any other error (a UserError such as a bad key or unknown model, or a bug) aborts
 * the requests in flight and is rethrown once.
 */
export async function runJobs(
  jobs: readonly TeacherJob[],
  backend: OnlineBackend,
  store: TeacherStore,
  o: RunOptions,
): Promise<RunReport> {
  const start = performance.now();
  const done = store.doneHashes();
  // Identical prompts (same history, target and dates) are asked once and shared.
  const unique = [...new Map(jobs.map((j) => [j.hash, j])).values()];
  const todo = unique.filter((j) => !done.has(j.hash));
  const report: RunReport = {
    done: 0,
    failed: 0,
    cached: unique.length - todo.length,
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
    seconds: 0,
    failures: [],
  };
  // The bar counts this run's prompts only, so its rates and ETA are this run's.
  const progress =
    o.progress === undefined
      ? undefined
      : new Progress(report.cached ? `${o.progress} (${report.cached} answered before)` : o.progress, todo.length, {
          unit: 'prompts',
        });
  const abort = new AbortController();
  // Every request and backoff listens on this one signal.
  setMaxListeners(2 * o.concurrency + 10, abort.signal);
  let fatal: unknown;
  let next = 0;

  // An LLM's answer is costly: wait for its commit. The template's are cheap: batch them.
  const commits = new GroupCommit(store, backend.isLLM ? 1 : 512);

  const fail = (job: TeacherJob, attempts: number, reason: string, text: string | null) =>
    commits.add(
      () => store.fail(job.hash, { kind: job.kind, subject: job.subject, attempts, reason, text }),
      () => {
        report.failed++;
        report.failures.push({ kind: job.kind, subject: job.subject, reason });
        progress?.tick(1);
      },
    );

  const answer = async (job: TeacherJob) => {
    let rejected = 0;
    let transient = 0;
    for (;;) {
      try {
        report.requests++;
        const c = await backend.complete(job, abort.signal).finally(() => progress?.tick(0, { requests: 1 }));
        report.promptTokens += c.promptTokens;
        report.completionTokens += c.completionTokens;
        const verdict = checkAnswer(job, c, { opening: backend.isLLM });
        if (verdict.ok) {
          return await commits.add(
            () =>
              store.put(job.hash, {
                kind: job.kind,
                subject: job.subject,
                text: c.text.trim(),
                finishReason: c.finishReason,
                promptTokens: c.promptTokens,
                completionTokens: c.completionTokens,
                predictionMatch: verdict.predictionMatch,
              }),
            () => {
              report.done++;
              progress?.tick(1, { tokens: c.completionTokens });
            },
          );
        }
        if (++rejected >= o.attempts) return await fail(job, rejected + transient, verdict.reason, c.text);
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof RejectedError) return await fail(job, rejected + transient + 1, err.message, null);
        if (!(err instanceof TransientError)) {
          fatal ??= err;
          abort.abort();
          return;
        }
        if (++transient > o.retries) return await fail(job, rejected + transient, err.message, null);
        await sleep(backoff(transient, o, err.retryAfterMs), undefined, { signal: abort.signal }).catch(() => {});
        if (abort.signal.aborted) return;
      }
    }
  };

  const worker = async () => {
    while (!abort.signal.aborted && next < todo.length) await answer(todo[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, todo.length)) }, worker));
  // Answers that arrived before a fatal error are kept too.
  await commits.drain();
  report.seconds = (performance.now() - start) / 1000;
  if (fatal) {
    // End a bar drawn in place, so the error gets a line of its own.
    if (process.stderr.isTTY) progress?.finish();
    throw fatal;
  }
  progress?.finish();
  return report;
}

/** Exponential backoff with jitter; a server's Retry-After is a floor (capped at 10 minutes). */
export function backoff(
  retry: number,
  o: Pick<RunOptions, 'backoffMs' | 'maxBackoffMs'>,
  retryAfterMs?: number,
): number {
  const exp = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (retry - 1));
  const jittered = exp * (0.5 + Math.random() * 0.5);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, 600_000));
}
