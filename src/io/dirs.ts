import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';

/**
 * Creates a folder and its missing parents one at a time (a recursive mkdir loops forever where
 * mkdir answers ENOENT for a parent that exists, as in /proc); returns the topmost folder it made.
 * `label` starts each message (`--work W`).
 */
export function makeDirs(abs: string, label: string): string | undefined {
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at)) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (!statSync(at).isDirectory()) throw new UserError(`${label}: ${at} is not a folder`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (error) {
      if (missing[0] !== d) rmSync(missing[0], { recursive: true, force: true });
      throw new UserError(`${label}: cannot create ${d} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return missing[0];
}
