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
