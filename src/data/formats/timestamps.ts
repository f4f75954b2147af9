import { UserError } from '../../util/errors.js';

/** How numeric timestamps in a dataset are written: Unix seconds (the formats' rule) or milliseconds. */
export type TimestampUnit = 's' | 'ms';
export const TIMESTAMP_UNITS = ['s', 'ms'] as const;

/** Unix seconds at the start of the year 5138: a later time can only be milliseconds written as seconds. */
export const MAX_SECONDS = 1e11;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A timestamp field written as text (CSV): a plain decimal number, nothing else (no 0x10, 1e9,
 * Infinity); with `dates`, an ISO-8601 date (see parseDate) too.
 */
export function parseTimestamp(where: string, text: string, unit: TimestampUnit, dates = false): number {
  if (DECIMAL.test(text)) return toSeconds(where, Number(text), unit);
  if (dates && ISO_DATE.test(text)) return parseDate(where, text);
  throw new UserError(
    `${where} is "${text}", expected ${unitName(unit)} as a decimal number (e.g. 1300000000)${dates ? ' or an ISO-8601 date (e.g. 2019-11-03T12:00:00Z)' : ''}`,
  );
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

/** YYYY-MM-DD, optionally with a time (T or a space, then HH:MM[:SS[.fraction]]) and a zone (Z, +HH:MM). */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO-8601 date or date-time as Unix seconds; a time without a zone is read as UTC (as the
 * Yelp dumps write theirs). Refused when it is not a real date or lies outside 1970 .. 5138.
 */
export function parseDate(where: string, text: string): number {
  const m = ISO_DATE.exec(text);
  const expected = `expected an ISO-8601 date such as 2019-11-03 or 2019-11-03 12:00:00 (UTC unless a zone is given)`;
  if (!m) throw new UserError(`${where} is ${JSON.stringify(text)}, ${expected}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = ''] = m;
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const day = new Date(utc);
  // Date.UTC rolls 2019-02-30 over to March and 24:00 to the next day: such a text is not a real date.
  if (day.getUTCDate() !== +d || day.getUTCMonth() !== +mo - 1 || +h > 23 || +mi > 59 || +s > 59)
    throw new UserError(`${where} is ${JSON.stringify(text)}, not a real date; ${expected}`);
  let offset = 0;
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3)) * 60);
  }
  const seconds = utc / 1000 + Number(frac || 0) - offset;
  if (seconds < 0 || seconds >= MAX_SECONDS)
    throw new UserError(`${where} is ${JSON.stringify(text)}, expected a date from 1970 to before the year 5138`);
  return seconds;
}

const unitName = (unit: TimestampUnit) => (unit === 'ms' ? 'Unix milliseconds' : 'Unix seconds');
