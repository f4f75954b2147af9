import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes. Each byte of an invalid sequence becomes the lone surrogate U+DC80..U+DCFF
 * (Python's "surrogateescape"), which valid UTF-8 never yields: replacing bad bytes with U+FFFD
 * would merge distinct ids, while an escaped byte is found later in the field it belongs to.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    let out = '';
    let start = 0;
    for (let i = 0; i < bytes.length;) {
      const n = sequenceLength(bytes, i);
      if (n > 0) {
        i += n;
        continue;
      }
      out += strict.decode(bytes.subarray(start, i)) + String.fromCharCode(0xdc00 + bytes[i]);
      start = ++i;
    }
    return out + strict.decode(bytes.subarray(start));
  }
}

/** The length of the valid UTF-8 sequence starting at `i`, 0 when none starts there (RFC 3629). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // overlong
    if (c === 0xed) hi = 0x9f; // UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90; // overlong
    if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + n > b.length || b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return n;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A line decoded by decodeUtf8 as Latin-1 (ISO-8859-1) when it holds bytes that are not UTF-8,
 * unchanged when it is UTF-8: for files whose releases are Latin-1 but that users also convert.
 * The line's bytes are rebuilt exactly (each escaped byte, and the UTF-8 of every other character).
 */
export function latin1UnlessUtf8(line: string): string {
  if (!LONE_SURROGATE.test(line)) return line;
  const bytes: number[] = [];
  for (const ch of line) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xdc80 && c <= 0xdcff) bytes.push(c - 0xdc00);
    else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('latin1');
}

/**
 * What is wrong with a string that is not well-formed Unicode ("not valid UTF-8 (byte 0xE9 at
 * character 2)"), or undefined when it is fine. `fromBytes`: the string came from decodeUtf8, so
 * an escaped byte is a byte of the file, not a \u escape of a JSON string.
 */
export function textProblem(s: string, fromBytes = true): string | undefined {
  const at = s.search(LONE_SURROGATE);
  if (at < 0) return undefined;
  const code = s.charCodeAt(at);
  const where = `at character ${at + 1}`;
  if (fromBytes && code >= 0xdc80 && code <= 0xdcff)
    return `not valid UTF-8 (byte 0x${(code - 0xdc00).toString(16).toUpperCase()} ${where})`;
  return `not valid Unicode (lone surrogate \\u${code.toString(16)} ${where})`;
}

/**
 * The first string (a key or a value) of a parsed JSON value that is not well-formed Unicode,
 * said as `field "categories.0.1" is not valid UTF-8 (...)`; undefined when every string is fine.
 */
export function illFormedField(value: unknown, fromBytes = true): string | undefined {
  const name = (path: string) => (path ? `field "${path}"` : 'the value');
  // Iterative: a hostile line may nest deeper than the call stack.
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v, fromBytes);
      if (problem) return `${name(path)} is ${problem}`;
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const problem = textProblem(k, fromBytes);
        if (problem) return `a key of ${name(path)} is ${problem}`;
      }
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ v: entries[i][1], path: path ? `${path}.${entries[i][0]}` : entries[i][0] });
    }
  }
  return undefined;
}

/**
 * What is wrong with the strings of `value`, parsed from the JSON (or Python literal) `text`, or
 * undefined when nothing is: bytes of the text that are not UTF-8, or a \u escape of a lone
 * surrogate. Either would become U+FFFD in the database and merge distinct ids.
 */
export function parsedTextProblem(text: string, value: unknown): string | undefined {
  const fromBytes = textProblem(text) !== undefined;
  // Without bad bytes only a \u (Python: \U) escape can make a lone surrogate.
  if (!fromBytes && !/\\[uU]/.test(text)) return undefined;
  return illFormedField(value, fromBytes);
}

/** The 1-based line of `text` holding its first byte that is not UTF-8 (1 when there is none). */
export function badByteLine(text: string): number {
  const at = text.search(LONE_SURROGATE);
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}

/**
 * A text file decoded by decodeUtf8 (bad bytes kept visible for the caller to name), without a
 * byte order mark; an unreadable file is a UserError naming `label`.
 */
export function readTextFile(file: string, label: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UserError(`${label}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return decodeUtf8(bytes).replace(/^\uFEFF/, '');
}

/** Refuses a text whose lines are not all UTF-8, naming `label`, the line and the character. */
export function checkTextLines(label: string, text: string): void {
  text.split('\n').forEach((line, i) => {
    const problem = textProblem(line);
    if (problem) throw new UserError(`${label} line ${i + 1}: ${problem}`);
  });
}
