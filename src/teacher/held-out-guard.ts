import type { Dataset } from '../data/dataset.js';

/**
 * The held-out guard: a reasoning text that names one of its user's validation or test items
 * would leak the answer into training, so such a text is refused. Prompts cannot leak (they are
 * built from the training view), but an answer can: an LLM that knows the catalogue, or a text
 * written by a pipeline outside r2end that saw the whole history. Every path that takes reasoning
 * texts from outside (`teach --import`, batch results) checks them here.
 *
 * A title is named when one of its names occurs in the text as a whole phrase, compared after
 * `normaliseWords` (case, accents, punctuation). The names of a title: the title without a
 * trailing year or video/TV tag in parentheses, with a trailing article moved back to the front
 * and then left out (MovieLens' `Godfather, The (1972)` is named by "The Godfather" and by
 * "Godfather"), and, in a title with a year, each alternative title in parentheses the same way
 * (`Seven (Se7en) (1995)` is named by "Seven" and by "Se7en"; `(a.k.a. X)` gives X anywhere).
 * A product title's trailing qualifiers ("(Pack of 2)") are left out and name nothing. A name of one word ("Heat", or
 * "Rock" for `Rock, The`) is still matched, so a text using that word in its ordinary sense is
 * refused too: a guard must not let a leak through, and the refusals by one-word names are
 * counted apart so their share is visible.
 */

/**
 * Words for comparison: lower case, accents folded, "&" (or "&amp;", as raw product titles write
 * it) as "and", every other mark (apostrophes too, so "Home Alone's" still holds the words "home
 * alone") a space between words.
 */
export function normaliseWords(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&(amp|#0*38);/g, '&')
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A parenthesised group at the end of a title that is not an alternative title: a year, (V), (TV). */
const TAG = /^(\d{4}(\/[IVX]+)?|V|TV|VG)$/i;
/** An article that catalogues move to the end of a title ("Godfather, The"; "Haine, La"; "Uomo delle stelle, L'"). */
const TRAILING_ARTICLE =
  /,\s*(the|an?|l'|la|le|les|il|lo|gli|el|los|las|der|die|das|det|den|een|het|un|une|una|uno|ein|eine)\s*$/i;
/** Articles left out from the front of a name; other languages' only when moved from the end (never "Die" of "Die Hard"). */
const LEADING_ARTICLE = /^(the|an?)\s+/i;

const AKA = /^a\.?k\.?a\.?\s+/i;

/** The phrases, normalised, whose occurrence in a text names the title. */
export function titleNames(title: string): string[] {
  let main = title.trim();
  const groups: string[] = [];
  let dated = false;
  for (let m = /^(.*\S)\s*\(([^()]*)\)$/.exec(main); m; m = /^(.*\S)\s*\(([^()]*)\)$/.exec(main)) {
    main = m[1];
    const inner = m[2].trim();
    if (TAG.test(inner)) dated = true;
    else groups.unshift(inner);
  }
  // Beside a year (MovieLens) a group in parentheses is another title of the film; in a product's
  // title ("(Pack of 2)", "(8 Ounce)") it is a qualifier that names nothing. "a.k.a." is a title.
  const alternatives = groups.filter((g) => dated || AKA.test(g)).map((g) => g.replace(AKA, ''));
  const names = new Set<string>();
  for (const name of [main, ...alternatives]) {
    const moved = TRAILING_ARTICLE.exec(name);
    const core = moved ? name.slice(0, moved.index) : name.replace(LEADING_ARTICLE, '');
    const words = normaliseWords(core) || normaliseWords(name);
    if (words) names.add(words);
  }
  return [...names];
}

/** One held-out item a text names. */
export interface HeldOutMention {
  user: number;
  item: number;
  split: 'validation' | 'test';
  /** The item's title as the data writes it. */
  title: string;
  /** The name found in the text, normalised. */
  name: string;
}

export class HeldOutGuard {
  private readonly names = new Map<number, string[]>();

  constructor(private readonly ds: Dataset) {}

  readonly userId = (user: number): string => this.ds.userIds[user];

  /** The user's validation and test items that the text names; empty when it may be used. */
  mentions(user: number, text: string): HeldOutMention[] {
    const seq = this.ds.sequences[user];
    const words = ` ${normaliseWords(text)} `;
    const found: HeldOutMention[] = [];
    for (const [pos, split] of [
      [seq.length - 2, 'validation'],
      [seq.length - 1, 'test'],
    ] as const) {
      if (pos < 0) continue;
      const item = seq[pos];
      const name = this.namesOf(item).find((n) => words.includes(` ${n} `));
      if (name !== undefined) found.push({ user, item, split, title: this.ds.items[item].title, name });
    }
    return found;
  }

  private namesOf(item: number): string[] {
    let names = this.names.get(item);
    if (!names) this.names.set(item, (names = titleNames(this.ds.items[item].title)));
    return names;
  }
}

/**
 * Refusals by the guard, counted the same way on every path: texts refused, and how many of them
 * only by a name of one word (the refusals most likely to be a common word, not the title).
 */
export class GuardTally {
  namesHeldOutItem = 0;
  oneWordTitle = 0;

  record(mentions: readonly HeldOutMention[]): void {
    this.namesHeldOutItem++;
    if (mentions.every((m) => !m.name.includes(' '))) this.oneWordTitle++;
  }

  /** "12 named a held-out item (3 of them by a one-word title)". */
  describe(): string {
    return `${this.namesHeldOutItem} named a held-out item (${this.oneWordTitle} of them by a one-word title)`;
  }
}

/**
 * Why a text was refused, for failure records and logs: "names the user's held-out test item
 * "Heat (1995)"", or with `userId` (a text shared by several users) "names user 7's ...".
 */
export function mentionReason(mentions: readonly HeldOutMention[], userId?: (user: number) => string): string {
  const whose = (m: HeldOutMention) => (userId ? `user ${userId(m.user)}'s` : "the user's");
  const parts = mentions.map((m, k) => {
    const item = `${m.split} item "${m.title}"`;
    return k > 0 && m.user === mentions[k - 1].user ? item : `${whose(m)} held-out ${item}`;
  });
  return `names ${parts.join(' and ')}`;
}
