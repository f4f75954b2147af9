import { accessSync, constants } from 'node:fs';
import { readLines } from '../data/formats/lines.js';
import { UserError } from '../util/errors.js';
import { parsedTextProblem, textProblem } from '../util/utf8.js';

/** One line of an `--import` file, parsed. */
export interface ImportLine {
  /** "--import FILE:LINE", for messages. */
  where: string;
  line: number;
  value: unknown;
  /** The line's size in the file, newline included (for a progress bar over the file). */
  bytes: number;
}

/**
 * The JSON value of every non-blank line of a file given to `teach --import` (batch results or
 * texts), streamed. A line that is not JSON, or not strict UTF-8, is refused naming the file and
 * line; `expected` says what a line should be.
 */
export async function* importLines(file: string, expected: string): AsyncGenerator<ImportLine> {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new UserError(`--import ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  for await (const [line, text] of readLines(file)) {
    const bytes = Buffer.byteLength(text) + 1;
    if (!text.trim()) continue;
    const where = `--import ${file}:${line}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UserError(`${where}: ${textProblem(text) ?? `not JSON (expected ${expected})`}`);
    }
    const problem = parsedTextProblem(text, value);
    if (problem) throw new UserError(`${where}: ${problem}`);
    yield { where, line, value, bytes };
  }
}
