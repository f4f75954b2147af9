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

/**
 * A model folder name under WORK/models, never a path ('/', '..'), so whatever a command reads or
 * writes for a model stays in that model's folder of the workspace.
 */
export function checkModelName(flag: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name))
    throw new UserError(`${flag} ${name}: use letters, digits, '.', '_' and '-' only (and not only dots)`);
  return name;
}
