import { basename, dirname } from 'node:path';
import { UserError } from '../../util/errors.js';
import { latin1UnlessUtf8 } from '../../util/utf8.js';
import { findFile } from './lines.js';
import type { DataSource, SourceItem } from './source.js';
import { columnAt, readTable, tableInteractions, type TableHeader, type TableLayout } from './table.js';
import type { TimestampUnit } from './timestamps.js';

/** One MovieLens release layout: its files, separators and columns (user, item, rating, time; id, title, ...). */
interface Layout {
  ratings: string;
  movies: string;
  separators: { ratings: string; movies: string };
  /** CSV releases name their columns in a header line; the others have none. */
  header: boolean;
  /** The release writes its movies file in Latin-1. */
  latin1: boolean;
  ratingColumns: readonly [string, string, string, string];
  /** id, title, then the genres column, or the columns before ml-100k's genre flags. */
  movieColumns: readonly string[];
  /** ml-100k: the genres are 0/1 columns after movieColumns, named by this file (`name|index`). */
  genreFile?: string;
}

/**
 * The layouts GroupLens releases: ml-1m and ml-10m (`::`-separated .dat files without a header,
 * Latin-1), ml-latest, ml-latest-small, ml-20m, ml-25m, ml-32m (CSV with a header, UTF-8) and
 * ml-100k (u.data tab-separated, u.item `|`-separated with genre flags, Latin-1).
 */
const LAYOUTS: readonly Layout[] = [
  {
    ratings: 'ratings.dat',
    movies: 'movies.dat',
    separators: { ratings: '::', movies: '::' },
    header: false,
    latin1: true,
    ratingColumns: ['UserID', 'MovieID', 'Rating', 'Timestamp'],
    movieColumns: ['MovieID', 'Title', 'Genres'],
  },
  {
    ratings: 'ratings.csv',
    movies: 'movies.csv',
    separators: { ratings: ',', movies: ',' },
    header: true,
    latin1: false,
    ratingColumns: ['userId', 'movieId', 'rating', 'timestamp'],
    movieColumns: ['movieId', 'title', 'genres'],
  },
  {
    ratings: 'u.data',
    movies: 'u.item',
    separators: { ratings: '\t', movies: '|' },
    header: false,
    latin1: true,
    ratingColumns: ['user id', 'item id', 'rating', 'timestamp'],
    movieColumns: ['movie id', 'movie title', 'release date', 'video release date', 'IMDb URL'],
    genreFile: 'u.genre',
  },
];

/** The MovieLens files in `dir` (plain or gzipped), or undefined when it holds no ratings file. */
export function findMovieLens(dir: string): { layout: Layout; ratings: string; movies: string } | undefined {
  for (const layout of LAYOUTS) {
    const ratings = findFile(dir, layout.ratings);
    if (!ratings) continue;
    const movies = findFile(dir, layout.movies);
    if (!movies) throw new UserError(`--data ${dir}: ${layout.ratings} but no ${layout.movies} (MovieLens needs both)`);
    return { layout, ratings, movies };
  }
  return undefined;
}

/** What the releases write for a movie without a genre. */
const NO_GENRES = ['(no genres listed)', 'unknown'];

/**
 * MovieLens: ratings are interactions (ratings kept), movies are items; genres become one
 * category list, and the year stays in the title as the release writes it.
 */
export function movieLensSource(dir: string, unit: TimestampUnit): DataSource {
  const found = findMovieLens(dir);
  if (!found)
    throw new UserError(
      `--data ${dir}: no MovieLens files (ratings.dat + movies.dat, ratings.csv + movies.csv, or u.data + u.item)`,
    );
  const { layout, ratings, movies } = found;
  const notes: string[] = [];
  const [user, item, rating, time] = layout.ratingColumns;
  const sep = layout.separators.ratings;
  const shape = layout.ratingColumns.join(sep);
  return {
    format: 'movielens',
    interactionsFile: ratings,
    items: { file: movies, read: () => readMovies(movies, layout, notes) },
    notes,
    rows: () =>
      tableInteractions(
        ratings,
        layout.header
          ? { separator: sep, expected: `a header line "${shape}" and rows` }
          : { separator: sep, columns: layout.ratingColumns, expected: `lines ${shape}` },
        { map: { user, item, rating, time }, hint: `expected ${shape}`, unit, notes },
      ),
  };
}

/**
 * The movies file. The .dat and ml-100k releases are Latin-1 while every other file here is read
 * as strict UTF-8: a line that is valid UTF-8 is read as UTF-8 (plain ASCII, or a copy converted to
 * UTF-8), any other as Latin-1, and the report says how many lines that was.
 */
async function* readMovies(file: string, layout: Layout, notes: string[]): AsyncGenerator<SourceItem> {
  const name = basename(file);
  let latin1 = 0;
  const decode = (text: string) => {
    const out = latin1UnlessUtf8(text);
    if (out !== text) latin1++;
    return out;
  };
  const flags = layout.genreFile ? await genreNames(dirname(file), layout.genreFile) : [];
  const columns = [...layout.movieColumns, ...flags];
  const separator = layout.separators.movies;
  const table: TableLayout = {
    separator,
    columns: layout.header ? undefined : columns,
    decode: layout.latin1 ? decode : undefined,
    expected: `one movie per line (${columns.join(separator)})`,
  };
  let at = [0, 0, 0];
  const onHeader = (h: TableHeader) => {
    at = layout.movieColumns.slice(0, 3).map((c) => columnAt(h, name, c, `expected ${columns.join(',')}`));
  };
  for await (const { line, values } of readTable(file, table, onHeader)) {
    const id = values[at[0]];
    if (!id) throw new UserError(`${name} line ${line}: field "${layout.movieColumns[0]}" is empty`);
    const genres = (
      layout.genreFile
        ? flags.filter((_, g) => values[layout.movieColumns.length + g] === '1')
        : values[at[2]].split('|')
    )
      .map((g) => g.trim())
      .filter((g) => g !== '' && !NO_GENRES.includes(g));
    yield {
      item: { id, title: values[at[1]], categories: genres.length ? [genres] : [], brand: null, description: null },
      line,
    };
  }
  if (latin1)
    notes.push(
      `${name}: ${latin1} line${latin1 === 1 ? ' is' : 's are'} not UTF-8 and ${latin1 === 1 ? 'was' : 'were'} read as Latin-1 (ISO-8859-1), the encoding of the MovieLens release`,
    );
}

/** ml-100k's genre names in flag order, from u.genre (`Action|1`). */
async function genreNames(dir: string, genreFile: string): Promise<string[]> {
  const file = findFile(dir, genreFile);
  if (!file) throw new UserError(`--data ${dir}: u.item but no ${genreFile} (it names u.item's genre columns)`);
  const names: string[] = [];
  const layout: TableLayout = { separator: '|', columns: ['genre', 'index'], expected: 'lines genre|index' };
  for await (const { line, values } of readTable(file, layout, () => {})) {
    if (values[1] !== String(names.length))
      throw new UserError(`${basename(file)} line ${line}: field "index" is "${values[1]}", expected ${names.length}`);
    names.push(values[0]);
  }
  return names;
}
