import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { makeDirs } from './dirs.js';

/**
 * Writes a file so that a reader (or a killed writer) never sees half of it: the bytes go to a
 * temporary file beside it, which is then renamed over the target (atomic within a filesystem).
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Fills a new folder `dir` through `fill`, which writes into a temporary folder beside it that is
 * renamed into place when complete: a killed writer leaves `dir` as it was (only a `.tmp-PID`
 * folder beside it). An existing non-empty `dir` is refused unless `force`, and even then unless
 * every entry in it is one `replaceable` accepts (what an earlier run wrote): then it is replaced
 * (moved aside, the new one renamed in, the old one removed). `flag` names the folder in messages.
 */
export function writeFolderAtomic<T>(
  dir: string,
  flag: string,
  { force, replaceable }: { force: boolean; replaceable: (entry: string) => boolean },
  fill: (tmp: string) => T,
): T {
  const target = resolve(dir);
  if (basename(target) === '' || target === dirname(target))
    throw new UserError(`${flag} ${dir}: not a folder to write`);
  const exists = existsSync(target);
  if (exists && !statSync(target).isDirectory()) throw new UserError(`${flag} ${dir}: exists and is not a folder`);
  const entries = exists ? readdirSync(target) : [];
  if (entries.length > 0 && !force)
    throw new UserError(`${flag} ${dir}: exists and is not empty; use --force to replace it`);
  const foreign = entries.filter((e) => !replaceable(e));
  if (foreign.length > 0)
    throw new UserError(
      `${flag} ${dir}: holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}, which this command did not write; not replaced even with --force`,
    );
  const madeParent = makeDirs(dirname(target), `${flag} ${dir}`);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let result: T;
  try {
    result = fill(tmp);
  } catch (error) {
    rmSync(madeParent ?? tmp, { recursive: true, force: true });
    throw error;
  }
  if (exists) {
    const old = `${target}.old-${process.pid}`;
    renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, target);
  return result;
}
