import { UserError } from '../../util/errors.js';
import { findFile } from './lines.js';
import { objectLines, requireString } from './records.js';
import type { DataSource, SourceItem, SourceRow } from './source.js';
import { parseDate } from './timestamps.js';

export const YELP_REVIEWS = 'yelp_academic_dataset_review.json';
export const YELP_BUSINESSES = 'yelp_academic_dataset_business.json';

/** The Yelp Open Dataset: reviews are interactions, businesses are items. */
export function yelpSource(dir: string): DataSource {
  const reviews = findFile(dir, YELP_REVIEWS);
  const businesses = findFile(dir, YELP_BUSINESSES);
  if (!reviews || !businesses)
    throw new UserError(`--data ${dir}: a Yelp folder needs ${YELP_REVIEWS} and ${YELP_BUSINESSES}`);
  return {
    format: 'yelp',
    interactionsFile: reviews,
    items: { file: businesses, read: () => readBusinesses(businesses) },
    notes: [],
    rows: () => readYelpReviews(reviews),
  };
}

async function* readYelpReviews(file: string): AsyncGenerator<SourceRow> {
  for await (const { name, line, r } of objectLines(file, 'review')) {
    const userId = requireString(name, line, r, 'user_id');
    const itemId = requireString(name, line, r, 'business_id');
    // Yelp dates are "YYYY-MM-DD HH:MM:SS" without a zone: read as UTC.
    const where = `${name} line ${line}: field "date"`;
    if (typeof r.date !== 'string')
      throw new UserError(`${where} is ${JSON.stringify(r.date)}, expected "YYYY-MM-DD HH:MM:SS"`);
    const timestamp = parseDate(where, r.date);
    const rating = typeof r.stars === 'number' ? r.stars : null;
    const review = typeof r.text === 'string' && r.text.trim() !== '' ? r.text : null;
    yield { userId, itemId, timestamp, rating, review, line };
  }
}

async function* readBusinesses(file: string): AsyncGenerator<SourceItem> {
  for await (const { name, line, r } of objectLines(file, 'business')) {
    const id = requireString(name, line, r, 'business_id');
    const categories =
      typeof r.categories === 'string'
        ? r.categories
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean)
        : [];
    const place = [r.address, r.city, r.state]
      .filter((s): s is string => typeof s === 'string' && s.trim() !== '')
      .join(', ');
    yield {
      item: {
        id,
        title: typeof r.name === 'string' ? r.name : '',
        categories: categories.length ? [categories] : [],
        brand: null,
        description: place || null,
      },
      line,
    };
  }
}
