import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Raised when the whole exchange took longer than the request's timeout. */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms / 1000} s`);
    this.name = 'TimeoutError';
  }
}

/**
 * One HTTP exchange over a keep-alive agent. node:http rather than fetch: it is several times
 * cheaper per request (the runner must never be what limits a GPU server) and its socket errors
 * keep their codes (ECONNRESET, ECONNREFUSED), which decide what is retried.
 */
export class HttpClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly secure: boolean,
    maxSockets: number,
  ) {
    const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.agent = secure ? new https.Agent(opts) : new http.Agent(opts);
  }

  request(url: URL, r: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const lib = this.secure ? https : http;
      const headers: Record<string, string | number> = { accept: 'application/json', ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = lib.request(url, { method: r.method, headers, agent: this.agent, signal: r.signal });
      const timer = setTimeout(() => req.destroy(new TimeoutError(r.timeoutMs)), r.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        // A server that drops the connection mid-body ends with 'aborted' rather than 'end'.
        res.on('aborted', () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
        });
      });
      req.end(r.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
