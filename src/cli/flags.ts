import { UserError } from '../util/errors.js';

/** Parses an integer flag value, naming the flag and the expected range on error. */
export function parseIntFlag(flag: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(String(value).trim()) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `${min}..${max}`;
    throw new UserError(`${flag} ${value}: expected a whole number ${range}`);
  }
  return n;
}

/** Parses a number flag value within [min, max]. */
export function parseNumberFlag(flag: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UserError(`${flag} ${value}: expected a number in [${min}, ${max}]`);
  }
  return n;
}

/** A model name: letters, digits, '.', '_' and '-', not starting with '.' (hidden folders hold model versions). */
export function parseModelName(flag: string, value: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(value))
    throw new UserError(`${flag} ${value}: use letters, digits, '.', '_' and '-' only, not starting with '.'`);
  return value;
}
