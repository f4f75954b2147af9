import type { TeacherJob } from './prompts.js';
import type { TeacherId } from './store.js';

/** One answer from a backend, before it is checked. */
export interface Completion {
  text: string;
  /** "stop", "length", ... as the server reported it. */
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
}

/**
 * A teacher that answers prompts one at a time (the `openai` and `template` backends; `batch`
 * answers offline through files instead). Errors: `TransientError` (retry later), `RejectedError`
 * (this prompt cannot succeed as sent), `UserError` (stop the run: wrong key, unknown model).
 */
export interface OnlineBackend {
  readonly id: TeacherId;
  /** False only for the template teacher; reports must never call its texts LLM output. */
  readonly isLLM: boolean;
  /** Checks before the first request, so a wrong URL or model fails in one line at once. */
  preflight(): Promise<void>;
  complete(job: TeacherJob, signal: AbortSignal): Promise<Completion>;
  close(): void;
}

/** Worth retrying after a pause: 429, 5xx, timeouts, dropped connections, garbled bodies. */
export class TransientError extends Error {
  constructor(
    message: string,
    /** The server's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

/** The server refused this prompt (e.g. 400, too long for its context): record it as failed. */
export class RejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedError';
  }
}

/**
 * How reports name a teacher: the template teacher is never presented as an LLM, and imported
 * texts only as what they are (whoever wrote them).
 */
export function teacherLabel(id: TeacherId): string {
  if (id.backend === 'template') return 'template (not an LLM)';
  if (id.backend === 'import') return `imported texts ${id.model}`;
  return `LLM ${id.model} (${id.backend === 'batch' ? 'batch import' : 'OpenAI-compatible server'})`;
}

/** Whether r2end itself asked an LLM for the texts; imported texts may come from anything. */
export function isLLMBackend(backend: string): boolean {
  return backend === 'openai' || backend === 'batch';
}
