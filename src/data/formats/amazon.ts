import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { objectLines, requireString } from './records.js';
import type { DataSource, SourceItem, SourceRow } from './source.js';
import { toSeconds, type TimestampUnit } from './timestamps.js';

const JSON_FILE = /\.(json|jsonl)(\.gz)?$/;

/** Finds `meta_*.json[.gz]` and the one reviews file beside it in an Amazon dump folder. */
export function findAmazonFiles(dir: string): { reviews: string; meta: string } | undefined {
  const files = readdirSync(dir).filter((f) => JSON_FILE.test(f));
  const metas = files.filter((f) => f.startsWith('meta_'));
  const reviews = files.filter((f) => !f.startsWith('meta_'));
  if (metas.length === 0 && reviews.length === 0) return undefined;
  if (metas.length !== 1 || reviews.length !== 1) {
    throw new UserError(
      `--data ${dir}: an Amazon dump folder needs exactly one meta_*.json[.gz] and one reviews *.json[.gz] file, found meta: [${metas.join(', ')}], reviews: [${reviews.join(', ')}]`,
    );
  }
  return { reviews: join(dir, reviews[0]), meta: join(dir, metas[0]) };
}

/**
 * Amazon review dumps: 2014 (`reviews_X.json.gz`, meta lines are Python dict literals) and
 * 2018 (`X.json.gz`, meta lines are JSON). Both reviews formats are JSON lines with reviewerID,
 * asin, unixReviewTime, overall and reviewText.
 */
export function amazonSource(dir: string, unit: TimestampUnit = 's'): DataSource {
  const files = findAmazonFiles(dir);
  if (!files) throw new UserError(`--data ${dir}: no Amazon files (meta_*.json.gz and a reviews *.json.gz)`);
  return {
    format: 'amazon',
    interactionsFile: files.reviews,
    itemsFile: files.meta,
    rows: () => readReviews(files.reviews, unit),
    items: () => readMeta(files.meta),
  };
}

async function* readReviews(file: string, unit: TimestampUnit): AsyncGenerator<SourceRow> {
  for await (const { name, line, r } of objectLines(file, 'review')) {
    const userId = requireString(name, line, r, 'reviewerID');
    const itemId = requireString(name, line, r, 'asin');
    const time = r.unixReviewTime;
    if (typeof time !== 'number') {
      throw new UserError(
        `${name} line ${line}: field "unixReviewTime" is ${JSON.stringify(time)}, expected Unix seconds (a number)`,
      );
    }
    const timestamp = toSeconds(`${name} line ${line}: field "unixReviewTime"`, time, unit);
    const rating = typeof r.overall === 'number' ? r.overall : null;
    const parts = [r.summary, r.reviewText].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
    yield { userId, itemId, timestamp, rating, review: parts.length ? parts.join('. ') : null, line };
  }
}

async function* readMeta(file: string): AsyncGenerator<SourceItem> {
  for await (const { name, line, r } of objectLines(file, 'item', true)) {
    const id = requireString(name, line, r, 'asin');
    yield {
      item: {
        id,
        title: typeof r.title === 'string' ? r.title.trim() : '',
        categories: amazonCategories(r),
        brand: typeof r.brand === 'string' && r.brand.trim() !== '' ? r.brand.trim() : null,
        description: amazonDescription(r.description),
      },
      line,
    };
  }
}

/** 2014: `categories` is a list of paths; 2018: `category` is one flat path. */
function amazonCategories(r: Record<string, unknown>): string[][] {
  const strings = (a: unknown): string[] =>
    Array.isArray(a) ? a.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  if (Array.isArray(r.categories)) return r.categories.map(strings).filter((p) => p.length > 0);
  const flat = strings(r.category);
  return flat.length ? [flat] : [];
}

function amazonDescription(d: unknown): string | null {
  const text = Array.isArray(d) ? d.filter((s) => typeof s === 'string').join(' ') : typeof d === 'string' ? d : '';
  return text.trim() === '' ? null : text.trim();
}
