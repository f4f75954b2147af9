import { UserError } from '../../util/errors.js';

/** How numeric timestamps in a dataset are written: Unix seconds (the formats' rule) or milliseconds. */
export type TimestampUnit = 's' | 'ms';
export const TIMESTAMP_UNITS = ['s', 'ms'] as const;

/** Unix seconds at the start of the year 5138: a later time can only be milliseconds written as seconds. */
export const MAX_SECONDS = 1e11;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A timestamp field written as text (CSV): a plain decimal number, nothing else (no 0x10, 1e9, Infinity). */
export function parseTimestamp(where: string, text: string, unit: TimestampUnit): number {
  if (!DECIMAL.test(text))
    throw new UserError(`${where} is "${text}", expected ${unitName(unit)} as a decimal number (e.g. 1300000000)`);
  return toSeconds(where, Number(text), unit);
}

/**
 * A timestamp in `unit` as Unix seconds, refused when it is negative or after the year 5138 (with
 * the fix in the message when it can only be milliseconds).
 */
export function toSeconds(where: string, value: number, unit: TimestampUnit): number {
  const seconds = unit === 'ms' ? value / 1000 : value;
  if (Number.isFinite(seconds) && seconds >= 0 && seconds < MAX_SECONDS) return seconds;
  if (unit === 's' && seconds >= MAX_SECONDS && seconds / 1000 < MAX_SECONDS)
    throw new UserError(
      `${where} is ${value}: as Unix seconds that is after the year 5138, so these look like milliseconds; use --timestamp-unit ms`,
    );
  throw new UserError(`${where} is ${value}, expected ${unitName(unit)} from 0 (1970) to before the year 5138`);
}

const unitName = (unit: TimestampUnit) => (unit === 'ms' ? 'Unix milliseconds' : 'Unix seconds');
