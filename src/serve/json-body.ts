import type { IncomingMessage } from 'node:http';

/** An HTTP error with the status the error handler answers with. */
const httpError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

/** The 413 message, for this reader and for the framework's own parsers alike. */
export const tooLargeMessage = (limit: number) => `body: larger than the limit of ${limit} bytes`;

/**
 * Reads a request body of at most `limit` bytes as strict UTF-8 (replacing bad bytes silently
 * would change what was asked). A body over the limit but under `drainLimit` is read to its end
 * and discarded before the 413, so an ordinary client that is still sending gets the answer
 * instead of a reset connection; larger ones are refused at once (Fastify then closes the
 * connection). A client that goes away before the end gets a 400 no one reads, not a logged 500.
 */
export function readUtf8Body(payload: IncomingMessage, limit: number, drainLimit: number): Promise<string> {
  const tooLarge = () => httpError(413, tooLargeMessage(limit));
  if (Number(payload.headers['content-length']) > drainLimit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > drainLimit) {
        payload.removeAllListeners('data').removeAllListeners('end');
        reject(tooLarge());
      } else if (received <= limit) chunks.push(chunk);
    });
    payload.on('end', () => {
      if (received > limit) return reject(tooLarge());
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(httpError(400, 'body: not valid UTF-8'));
      }
    });
    payload.on('error', (error) =>
      reject(httpError(400, `body: the connection ended before the body did (${error.message})`)),
    );
  });
}

/**
 * Parses a JSON body. Keys that could poison a prototype once the body is merged into another
 * object (`__proto__`, `constructor` holding `prototype`) are refused by name, as are empty and
 * malformed bodies, each as a 400.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw httpError(400, 'body: empty, expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw httpError(400, 'body: not valid JSON');
  }
  const key = forbiddenKey(value);
  if (key) throw httpError(400, `body: key "${key}" is not allowed`);
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The first prototype-poisoning key anywhere in a parsed value (iterative: bodies may nest deeply). */
function forbiddenKey(value: unknown): string | undefined {
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (!isObject(v)) continue;
    if (Object.hasOwn(v, '__proto__')) return '__proto__';
    if (Object.hasOwn(v, 'constructor') && isObject(v.constructor) && Object.hasOwn(v.constructor, 'prototype'))
      return 'constructor';
    for (const child of Object.values(v)) stack.push(child);
  }
  return undefined;
}
