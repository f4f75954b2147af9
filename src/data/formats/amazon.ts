import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { amazon2023Source } from './amazon2023.js';
import { firstLine } from './lines.js';
import { objectFromLine, objectLines, requireString } from './records.js';
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
      `--data ${dir}: an Amazon dump folder needs exactly one meta_*.json[l][.gz] and one reviews *.json[l][.gz] file, found meta: [${metas.join(', ')}], reviews: [${reviews.join(', ')}]`,
    );
  }
  return { reviews: join(dir, reviews[0]), meta: join(dir, metas[0]) };
}

export type AmazonEdition = 'amazon' | 'amazon2023';

/**
 * Which Amazon release a reviews file comes from, by its first line (file names overlap: every
 * release has a meta_* file): 2023 reviews carry parent_asin, 2014 and 2018 ones reviewerID.
 */
export async function amazonEdition(reviews: string): Promise<AmazonEdition> {
  const name = basename(reviews);
  const first = await firstLine(reviews);
  if (!first) throw new UserError(`${name}: file is empty, expected one review per line`);
  const r = objectFromLine(name, first.line, first.text);
  if ('parent_asin' in r) return 'amazon2023';
  if ('reviewerID' in r) return 'amazon';
  const keys = Object.keys(r);
  throw new UserError(
    `${name} line ${first.line}: neither an Amazon 2014/2018 review (reviewerID, asin, unixReviewTime) nor an Amazon Reviews 2023 review (user_id, parent_asin, timestamp); its fields are ${keys.length ? keys.join(', ') : 'none'}`,
  );
}

const EDITIONS: Record<AmazonEdition, string> = {
  amazon: 'an Amazon 2014/2018 dump',
  amazon2023: 'Amazon Reviews 2023',
};

/**
 * The Amazon dump in `dir`, of the release its reviews file holds; `wanted` (a --format other
 * than auto) must be that release. `unit` applies to 2014/2018 (default seconds); 2023 is in
 * milliseconds.
 */
export async function amazonSource(
  dir: string,
  wanted: AmazonEdition | 'auto',
  unit: TimestampUnit | undefined,
): Promise<DataSource> {
  const files = findAmazonFiles(dir);
  if (!files) throw new UserError(`--data ${dir}: no Amazon files (meta_*.json[l][.gz] and a reviews *.json[l][.gz])`);
  const edition = await amazonEdition(files.reviews);
  if (wanted !== 'auto' && wanted !== edition)
    throw new UserError(
      `--format ${wanted}: ${basename(files.reviews)} is ${EDITIONS[edition]} (its first line has ${edition === 'amazon2023' ? '"parent_asin"' : '"reviewerID"'}); use --format ${edition} or auto`,
    );
  if (edition === 'amazon2023') {
    if (unit === 's')
      throw new UserError(
        '--timestamp-unit s: Amazon Reviews 2023 timestamps are milliseconds by definition; leave the flag out',
      );
    return amazon2023Source(files);
  }
  return {
    format: 'amazon',
    interactionsFile: files.reviews,
    items: { file: files.meta, read: () => readMeta(files.meta) },
    notes: [],
    rows: () => readReviews(files.reviews, unit ?? 's'),
  };
}

/**
 * 2014 (`reviews_X.json.gz`, meta lines are Python dict literals) and 2018 (`X.json.gz`, meta
 * lines are JSON): both reviews formats are JSON lines with reviewerID, asin, unixReviewTime,
 * overall and reviewText.
 */
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
