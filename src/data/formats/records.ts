import { basename } from 'node:path';
import { UserError } from '../../util/errors.js';
import { parsedTextProblem, textProblem } from '../../util/utf8.js';
import { readLines } from './lines.js';
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
    // Bytes that are not UTF-8 outside any string break the syntax: say that, not what broke.
    throw new UserError(
      `${name} line ${line}: ${textProblem(text) ?? `not a valid ${python ? 'JSON object or Python dict' : 'JSON object'} (${(err as Error).message})`}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${name} line ${line}: expected an object`);
  checkStrings(name, line, text, value);
  return value as Record<string, unknown>;
}

/** Refuses a parsed line holding a string that is not well-formed Unicode (see parsedTextProblem). */
export function checkStrings(name: string, line: number, text: string, value: unknown): void {
  const problem = parsedTextProblem(text, value);
  if (problem) throw new UserError(`${name} line ${line}: ${problem}`);
}

export function requireString(name: string, line: number, r: Record<string, unknown>, field: string): string {
  const v = r[field];
  if (typeof v !== 'string' || v === '') {
    throw new UserError(
      `${name} line ${line}: field "${field}" is ${v === undefined ? 'missing' : JSON.stringify(v)}, expected a non-empty string`,
    );
  }
  return v;
}

/**
 * The objects of a JSON-lines file (or Python-literal lines with `python`), with their line
 * numbers and the file's name for messages; blank lines are skipped, an empty file is an error.
 */
export async function* objectLines(
  file: string,
  what: string,
  python = false,
): AsyncGenerator<{ name: string; line: number; r: Record<string, unknown> }> {
  const name = basename(file);
  let any = false;
  for await (const [line, text] of readLines(file)) {
    if (text.trim() === '') continue;
    any = true;
    yield { name, line, r: objectFromLine(name, line, text, python) };
  }
  if (!any) throw new UserError(`${name}: file is empty, expected one ${what} per line`);
}
