import { createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { basename, join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { decodeUtf8 } from '../../util/utf8.js';

/** Finds a file, plain or gzipped. */
export function findFile(dir: string, name: string): string | undefined {
  return [join(dir, name), join(dir, `${name}.gz`)].find((f) => existsSync(f));
}

/**
 * Streams a text file line by line (gzip when the name ends in .gz), so multi-GB dumps are
 * never held in memory. Yields [lineNumber (1-based), text] without the line break (\n or \r\n)
 * and without a UTF-8 byte order mark at the start of the file. Lines are decoded by decodeUtf8,
 * so a byte that is not UTF-8 stays visible (as U+DC80..U+DCFF) to the parser, which names its
 * field. A truncated or corrupt gzip, or an unreadable file, becomes a UserError naming the file
 * and the last line read.
 */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  const raw = createReadStream(file);
  const gz = file.endsWith('.gz');
  const source = gz ? raw.pipe(createGunzip()) : raw;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    source.destroy();
  };
  raw.on('error', fail);
  if (gz) source.on('error', fail);
  let n = 0;
  const lines = function* (bytes: Buffer): Generator<[number, string]> {
    // Escaped bytes are never \n, so the text splits into lines as the bytes do.
    for (const text of decodeUtf8(bytes).split('\n')) {
      const line = text.endsWith('\r') ? text.slice(0, -1) : text;
      n++;
      yield [n, n === 1 ? line.replace(/^\uFEFF/, '') : line];
    }
  };
  // The bytes after a chunk's last newline wait for the next chunk, so a line is decoded whole.
  let pending: Buffer[] = [];
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure) break;
      const last = chunk.lastIndexOf(0x0a);
      if (last < 0) {
        pending.push(chunk);
        continue;
      }
      const head = chunk.subarray(0, last);
      const complete = pending.length ? Buffer.concat([...pending, head]) : head;
      pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
      yield* lines(complete);
    }
    if (!failure && pending.length) yield* lines(Buffer.concat(pending));
  } catch (err) {
    failure ??= err as Error;
  } finally {
    // A reader that stops early (the first line only) closes the file too, not just the gunzip.
    raw.destroy();
  }
  if (failure) throw toUserError(file, n, failure);
}

/** The first line of a file that is not blank, with its number; undefined for a blank file. */
export async function firstLine(file: string): Promise<{ line: number; text: string } | undefined> {
  for await (const [line, text] of readLines(file)) if (text.trim() !== '') return { line, text };
  return undefined;
}

function toUserError(file: string, lines: number, err: Error & { code?: string }): UserError {
  const name = basename(file);
  if (err.code === 'ENOENT') return new UserError(`${file}: file not found`);
  if (err.code === 'EISDIR') return new UserError(`${file}: is a directory, expected a file`);
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
    return new UserError(`${name} line ${lines + 1}: gzip stream ends early (truncated file?)`);
  }
  if (err.code?.startsWith('Z_'))
    return new UserError(`${name} line ${lines + 1}: not valid gzip data (${err.message})`);
  return new UserError(`${file}: cannot read (${err.message})`);
}
