import { UserError } from '../../util/errors.js';
import { parsePythonLiteral } from './pyliteral.js';

/**
 * Parses one line holding a JSON object; with `python`, a line that is not JSON is read as a
 * Python dict literal (the 2014 Amazon metadata).
 */
export function objectFromLine(name: string, line: number, text: string, python = false): Record<string, unknown> {
  let value: unknown;
  try {
    value = python && !text.trimStart().startsWith('{"') ? parsePythonLiteral(text) : JSON.parse(text);
  } catch (err) {
    throw new UserError(`${name} line ${line}: not a valid ${python ? 'JSON object or Python dict' : 'JSON object'} (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${name} line ${line}: expected an object`);
  return value as Record<string, unknown>;
}

export function requireString(name: string, line: number, r: Record<string, unknown>, field: string): string {
  const v = r[field];
  if (typeof v !== 'string' || v === '') {
    throw new UserError(`${name} line ${line}: field "${field}" is ${v === undefined ? 'missing' : JSON.stringify(v)}, expected a non-empty string`);
  }
  return v;
}
