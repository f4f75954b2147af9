import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat-completions server for tests and benches (127.0.0.1 only). Answers
 * are a pure function of the prompt, so two runs can be compared text for text; faults are
 * injected per (prompt, attempt) by a schedule.
 */
export type Fault =
  'ok' | '429' | '500' | 'slow' | 'drop' | 'drop-mid' | 'malformed' | 'truncated' | 'empty' | 'no-opening';

export interface FakeOptions {
  models?: string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Delay before every answer. */
  delayMs?: number;
  /** How long a 'slow' answer takes (set it past the client's timeout). */
  slowMs?: number;
  /** Retry-After sent with 429 (seconds, may be fractional). */
  retryAfter?: string;
  /** Answer everything with an HTML page, like a web server that is not an LLM server. */
  notOpenAI?: boolean;
  /** No GET /models (404), as some servers. */
  noModelsEndpoint?: boolean;
  /** The fault for a prompt's n-th request (0-based). */
  fault?: (promptHash: string, attempt: number) => Fault;
}

export interface FakeServer {
  /** Base URL up to /v1. */
  url: string;
  /** Completed chat requests per prompt hash, with their arrival times (ms). */
  arrivals: Map<string, number[]>;
  requests(): number;
  close(): Promise<void>;
}

export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex');
}

/** The answer a well-behaved model gives to a prompt (what tests expect to find stored). */
export function fakeAnswer(prompt: string): string {
  const h = promptHash(prompt).slice(0, 12);
  if (prompt.includes('### Candidate Items:'))
    return `The user’s preferences are as follows: unguided reasoning ${h}.\nPrediction: [1]`;
  if (prompt.includes('### Target Item:'))
    return `The user’s preferences related to the target item are as follows: reasoning ${h}.`;
  return `Users who prefer theme ${h} would find this item suitable.`;
}

export async function startFakeServer(o: FakeOptions = {}): Promise<FakeServer> {
  const models = o.models ?? ['fake-model'];
  const arrivals = new Map<string, number[]>();
  let requests = 0;
  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (o.notOpenAI) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>It works!</body></html>');
        return;
      }
      if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`)
        return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
      if (req.method === 'GET' && req.url === '/v1/models' && !o.noModelsEndpoint)
        return json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model' })) });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
        return json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model: string;
        messages: Array<{ content: string }>;
      };
      if (!models.includes(body.model))
        return json(res, 404, {
          error: { message: `The model \`${body.model}\` does not exist.`, type: 'NotFoundError', code: 404 },
        });
      const prompt = body.messages[0].content;
      const hash = promptHash(prompt);
      const seen = arrivals.get(hash) ?? [];
      seen.push(performance.now());
      arrivals.set(hash, seen);
      const fault = o.fault?.(hash, seen.length - 1) ?? 'ok';
      const answer = (text: string, finish = 'stop') =>
        json(res, 200, {
          id: `chatcmpl-${hash.slice(0, 8)}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }],
          usage: { prompt_tokens: prompt.length >> 2, completion_tokens: text.split(' ').length },
        });
      const respond = () => {
        const good = fakeAnswer(prompt);
        switch (fault) {
          case '429':
            return json(res, 429, { error: { message: 'Rate limit reached' } }, { 'retry-after': o.retryAfter ?? '0' });
          case '500':
            return json(res, 500, { error: { message: 'internal error' } });
          case 'drop':
            return req.socket.destroy();
          case 'drop-mid':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
            res.write('{"choices": [{"message": {"content": "The user');
            return setTimeout(() => req.socket.destroy(), 5);
          case 'malformed':
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end('{"choices": [{"message": ');
          case 'truncated':
            return answer(good.slice(0, good.length >> 1), 'length');
          case 'empty':
            return answer('');
          case 'no-opening':
            return answer(`Sure! ${good}`);
          default:
            return answer(good);
        }
      };
      const delay = fault === 'slow' ? (o.slowMs ?? 1000) : (o.delayMs ?? 0);
      if (delay > 0) setTimeout(respond, delay);
      else respond();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    arrivals,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
