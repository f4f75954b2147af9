import { existsSync, readFileSync } from 'node:fs';
import { UserError } from './errors.js';

/** A JSON file's content; a missing file or bad JSON is one line naming the file (`what` it should be). */
export function readJsonFile<T = Record<string, unknown>>(path: string, what: string): T {
  if (!existsSync(path)) throw new UserError(`${path}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new UserError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}
