import { UserError } from '../../util/errors.js';
import { objectLines, requireString } from './records.js';
import type { DataSource, SourceItem, SourceRow } from './source.js';
import { MAX_SECONDS, toSeconds } from './timestamps.js';

/**
 * Amazon Reviews 2023 (McAuley Lab): reviews `{Domain}.jsonl[.gz]` with user_id, parent_asin,
 * timestamp (Unix milliseconds), rating, title, text; metadata `meta_{Domain}.jsonl[.gz]` keyed by
 * parent_asin. Items are parent_asin (a product with all its variants).
 */
export function amazon2023Source(files: { reviews: string; meta: string }): DataSource {
  return {
    format: 'amazon2023',
    interactionsFile: files.reviews,
    items: { file: files.meta, read: () => readMeta(files.meta) },
    notes: [],
    rows: () => readReviews(files.reviews),
  };
}

async function* readReviews(file: string): AsyncGenerator<SourceRow> {
  for await (const { name, line, r } of objectLines(file, 'review')) {
    const userId = requireString(name, line, r, 'user_id');
    const itemId = requireString(name, line, r, 'parent_asin');
    const where = `${name} line ${line}: field "timestamp"`;
    const ms = r.timestamp;
    if (typeof ms !== 'number')
      throw new UserError(`${where} is ${JSON.stringify(ms)}, expected Unix milliseconds (a number)`);
    // The release writes milliseconds; seconds would pass as dates in early 1970 unnoticed.
    if (ms >= 0 && ms < MAX_SECONDS)
      throw new UserError(
        `${where} is ${ms}: Amazon Reviews 2023 timestamps are Unix milliseconds, and as milliseconds that is before March 1973, so these look like seconds`,
      );
    const timestamp = toSeconds(where, ms, 'ms');
    const rating = typeof r.rating === 'number' ? r.rating : null;
    const parts = [r.title, r.text].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
    yield { userId, itemId, timestamp, rating, review: parts.length ? parts.join('. ') : null, line };
  }
}

async function* readMeta(file: string): AsyncGenerator<SourceItem> {
  for await (const { name, line, r } of objectLines(file, 'item')) {
    const id = requireString(name, line, r, 'parent_asin');
    const details = readDetails(name, line, r.details);
    const brand = [r.store, details.Brand].find((s): s is string => typeof s === 'string' && s.trim() !== '');
    const categories = strings(r.categories);
    const main = typeof r.main_category === 'string' ? r.main_category.trim() : '';
    const description = [...strings(r.description), ...strings(r.features)].join(' ');
    yield {
      item: {
        id,
        title: typeof r.title === 'string' ? r.title.trim() : '',
        categories: categories.length ? [categories] : main ? [[main]] : [],
        brand: brand?.trim() ?? null,
        description: description === '' ? null : description,
      },
      line,
    };
  }
}

/** The non-empty strings of a list field, trimmed; anything else is no strings. */
function strings(a: unknown): string[] {
  return Array.isArray(a)
    ? a.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim())
    : [];
}

/** `details` is an object in some copies of the release and that object as a JSON string in others. */
function readDetails(name: string, line: number, d: unknown): Record<string, unknown> {
  let value = d;
  if (typeof d === 'string') {
    try {
      value = d.trim() === '' ? {} : JSON.parse(d);
    } catch {
      throw new UserError(`${name} line ${line}: field "details" is a string that is not a JSON object`);
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UserError(`${name} line ${line}: field "details" is ${JSON.stringify(value)}, expected an object`);
  return value as Record<string, unknown>;
}
