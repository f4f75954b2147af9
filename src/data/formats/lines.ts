import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import { UserError } from '../../util/errors.js';

/**
 * Streams a text file line by line (gzip when the name ends in .gz), so multi-GB dumps are
 * never held in memory. Yields [lineNumber (1-based), text]. A truncated or corrupt gzip, or
 * an unreadable file, becomes a UserError naming the file and the last line read.
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
  const rl = createInterface({ input: source, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      if (failure) break;
      n++;
      yield [n, line];
    }
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure) throw toUserError(file, n, failure);
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
