import { UserError } from '../util/errors.js';
import { RejectedError, TransientError, type Completion, type OnlineBackend } from './backend.js';
import { HttpClient, TimeoutError, type HttpResponse } from './http.js';
import type { TeacherJob } from './prompts.js';
import type { TeacherId } from './store.js';

export interface OpenAIOptions {
  /** Up to and including the API version, e.g. http://127.0.0.1:8000/v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Named in the error when the server refuses the key. */
  apiKeyEnv: string;
  timeoutMs: number;
  /** Open connections at most (the runner's concurrency). */
  connections: number;
  temperature: number;
  maxTokens: number;
}

/** The body of one chat-completions request (also what the batch backend writes per line). */
export function chatRequestBody(
  model: string,
  prompt: string,
  o: Pick<OpenAIOptions, 'temperature' | 'maxTokens'>,
): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: prompt }], temperature: o.temperature, max_tokens: o.maxTokens };
}

/**
 * Any OpenAI-compatible chat-completions server: vLLM, Ollama, llama.cpp server, LM Studio,
 * OpenAI itself.
 */
export class OpenAIBackend implements OnlineBackend {
  readonly id: TeacherId;
  readonly isLLM = true;
  private readonly http: HttpClient;
  private readonly base: URL;
  private readonly completions: URL;

  constructor(private readonly o: OpenAIOptions) {
    this.id = { backend: 'openai', model: o.model };
    try {
      this.base = new URL(o.baseUrl.replace(/\/+$/, '') + '/');
    } catch {
      throw new UserError(`--base-url ${o.baseUrl}: not a URL (expected e.g. http://127.0.0.1:8000/v1)`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new UserError(`--base-url ${o.baseUrl}: expected an http:// or https:// URL`);
    this.completions = new URL('chat/completions', this.base);
    this.http = new HttpClient(this.base.protocol === 'https:', o.connections);
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.apiKey) h.authorization = `Bearer ${this.o.apiKey}`;
    return h;
  }

  /** GET /models: is this an OpenAI-compatible server, and does it serve the model? */
  async preflight(): Promise<void> {
    const url = new URL('models', this.base);
    let res: HttpResponse;
    try {
      res = await this.http.request(url, {
        method: 'GET',
        headers: this.headers(),
        timeoutMs: Math.min(this.o.timeoutMs, 30_000),
      });
    } catch (err) {
      throw new UserError(`--base-url ${this.o.baseUrl}: cannot reach the server (${describeNetworkError(err)})`);
    }
    this.fatalStatus(res);
    if (res.status === 404) return; // some servers have no /models; the first request will tell
    if (res.status !== 200)
      throw new UserError(
        `--base-url ${this.o.baseUrl}: GET ${url} answered HTTP ${res.status}, expected 200 from an OpenAI-compatible server`,
      );
    const ids = modelIds(res.body);
    if (!ids)
      throw new UserError(
        `--base-url ${this.o.baseUrl}: GET ${url} did not answer like an OpenAI-compatible server (expected JSON {"data": [{"id": ...}]}, got ${preview(res)})`,
      );
    if (ids.length && !ids.includes(this.o.model))
      throw new UserError(
        `--model ${this.o.model}: not served by ${this.o.baseUrl} (it serves: ${ids.slice(0, 10).join(', ')})`,
      );
  }

  async complete(job: TeacherJob, signal: AbortSignal): Promise<Completion> {
    let res: HttpResponse;
    try {
      res = await this.http.request(this.completions, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(chatRequestBody(this.o.model, job.prompt, this.o)),
        timeoutMs: this.o.timeoutMs,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new TransientError(describeNetworkError(err));
    }
    if (res.status === 200) return parseCompletion(res.body);
    this.fatalStatus(res);
    const message = errorMessage(res.body);
    const aboutModel = /model/i.test(message);
    if (res.status === 404 && !aboutModel) {
      throw new UserError(
        `--base-url ${this.o.baseUrl}: POST chat/completions answered HTTP 404${message ? ` (${message})` : ''}; the URL should end where /chat/completions begins, usually /v1`,
      );
    }
    if (
      res.status === 404 ||
      (res.status === 400 && aboutModel && /not (found|exist)|does not exist|unknown/i.test(message))
    ) {
      throw new UserError(
        `--model ${this.o.model}: the server at ${this.o.baseUrl} answered HTTP ${res.status}${message ? ` (${message})` : ''}`,
      );
    }
    if (res.status === 408 || res.status === 409 || res.status === 425 || res.status === 429 || res.status >= 500) {
      throw new TransientError(
        `HTTP ${res.status}${message ? ` (${message})` : ''}`,
        retryAfterMs(res.headers['retry-after']),
      );
    }
    throw new RejectedError(`HTTP ${res.status}${message ? ` (${message})` : ''}`);
  }

  private fatalStatus(res: HttpResponse): void {
    if (res.status === 401 || res.status === 403) {
      const message = errorMessage(res.body);
      throw new UserError(
        `--base-url ${this.o.baseUrl}: the server refused the request (HTTP ${res.status}${message ? `: ${message}` : ''}); set the API key in $${this.o.apiKeyEnv}`,
      );
    }
  }

  close(): void {
    this.http.close();
  }
}

/** A chat completion's text, finish reason and token counts, or TransientError if garbled. */
export function parseCompletion(body: string): Completion {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TransientError(`answer is not JSON (${body.slice(0, 60).replace(/\s+/g, ' ')}...)`);
  }
  const choice = (json as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }> })
    ?.choices?.[0];
  const content = choice?.message?.content;
  if (!choice || (content !== null && typeof content !== 'string'))
    throw new TransientError('answer is not an OpenAI chat completion (no choices[0].message.content)');
  const usage = (json as { usage?: { prompt_tokens?: number; completion_tokens?: number } }).usage;
  return {
    text: typeof content === 'string' ? content : '',
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'unknown',
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
  };
}

function modelIds(body: string): string[] | undefined {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(data)) return undefined;
    return data.map((m) => (m as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string');
  } catch {
    return undefined;
  }
}

function errorMessage(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown }) ?? {};
    const m =
      typeof e.error === 'object' && e.error !== null
        ? (e.error as { message?: unknown }).message
        : (e.error ?? e.message ?? e.detail);
    return typeof m === 'string' ? m.slice(0, 200) : '';
  } catch {
    return body.slice(0, 80).replace(/\s+/g, ' ').trim();
  }
}

function preview(res: HttpResponse): string {
  return `${res.headers['content-type'] ?? 'no content type'}: ${JSON.stringify(res.body.slice(0, 40))}`;
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}

export function describeNetworkError(err: unknown): string {
  if (err instanceof TimeoutError) return err.message;
  const e = err as NodeJS.ErrnoException;
  return e.code
    ? `${e.code}${e.message && !e.message.includes(e.code) ? `: ${e.message}` : ''}`
    : String(e.message ?? err);
}
