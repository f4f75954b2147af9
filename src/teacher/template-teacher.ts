import type { Item } from '../data/types.js';
import { itemName } from '../data/verbalize.js';
import { UserError } from '../util/errors.js';
import type { Completion, OnlineBackend } from './backend.js';
import { priorItemCounts, reasoningTarget, type TrainingView } from './context.js';
import type { TeacherJob } from './prompts.js';
import type { TeacherId } from './store.js';

/** Bump when the wording changes: it is the "model" part of the cache key. */
export const TEMPLATE_MODEL = 'template-v2';

const DAY = 86_400;
const NAME_WORDS = 7;
/** How many of its buyers' previous items an item description names. */
const PRIOR_NAMES = 3;

/**
 * The offline, deterministic teacher. NOT an LLM: it states facts read from the training data
 * (brand and category relations between history and target, repeat brands, the step from the
 * latest purchase, what the target's other buyers bought just before it, purchase rhythm). It
 * names only items from the user's training history. The most telling facts come first, since
 * a short-window encoder (128 tokens) sees only the start; the target's own metadata is added
 * downstream (R_u + M_target), so the text does not repeat it.
 */
export class TemplateTeacher implements OnlineBackend {
  readonly id: TeacherId = { backend: 'template', model: TEMPLATE_MODEL };
  readonly isLLM = false;
  private readonly priorCache = new Map<number, PriorStats>();
  /** Per item, decoded once: primary category path, its leaf, and the short name. */
  private readonly paths: string[][];
  private readonly leaves: string[];
  private readonly names: string[];

  constructor(private readonly view: TrainingView) {
    this.paths = view.ds.items.map(primaryPath);
    this.leaves = this.paths.map((p) => (p.length ? p[p.length - 1] : 'uncategorised'));
    this.names = view.ds.items.map(name);
  }

  async preflight(): Promise<void> {}

  async complete(job: TeacherJob): Promise<Completion> {
    const text = this.write(job);
    return { text, finishReason: 'stop', promptTokens: 0, completionTokens: text.split(/\s+/).length };
  }

  /** The text for a job (synchronous: the runner's promise is just the interface). */
  write(job: TeacherJob): string {
    if (job.kind === 'reasoning') return this.reasoning(job.subject);
    if (job.kind === 'description') return this.description(job.subject);
    throw new UserError(
      '--mode unguided: the template teacher cannot predict without the target; use an LLM backend (openai or batch)',
    );
  }

  close(): void {}

  /** The item's buyers' prior items (most frequent first), their rank, and counts by leaf category. */
  private priorStats(item: number): PriorStats {
    let p = this.priorCache.get(item);
    if (!p) {
      const list = priorItemCounts(this.view, item);
      p = {
        list,
        rank: new Map(list.map(([i], r) => [i, r])),
        byLeaf: countBy(list, ([i]) => this.leaves[i]),
        total: list.reduce((s, [, n]) => s + n, 0),
      };
      this.priorCache.set(item, p);
    }
    return p;
  }

  reasoning(user: number): string {
    const { items, sequences, times } = this.view.ds;
    const t = reasoningTarget(this.view, user);
    if (!t) throw new Error(`user ${user} has no training history before its target`);
    const seq = sequences[user];
    const target = items[t.target];
    const { paths, leaves, names } = this;
    const hist = Array.from(seq.subarray(0, t.history));
    const histTimes = times[user].subarray(0, t.history + 1);
    const out: string[] = [];

    // Brand relation.
    if (target.brand) {
      const brand = plain(target.brand);
      const same = hist.filter((i) => items[i].brand === target.brand);
      const latest = same.length ? `"${names[same[same.length - 1]]}"` : '';
      out.push(
        same.length >= 2
          ? `Loyal to ${brand}: ${same.length} of ${hist.length} past purchases, latest ${latest}.`
          : same.length
            ? `Knows ${brand} from ${latest}.`
            : `New brand for the user: ${brand}.`,
      );
    }

    // Category relation: the deepest category level the target shares with the history.
    const tPath = paths[t.target];
    let best = 0;
    for (const i of hist) best = Math.max(best, commonDepth(paths[i], tPath));
    // Sharing only the root ("Beauty") says nothing.
    const meaningful = tPath.length > 1 ? best > 1 : best > 0;
    if (meaningful) {
      const matching = hist.filter((i) => commonDepth(paths[i], tPath) === best);
      const shared = tPath[best - 1];
      const example = names[matching[matching.length - 1]];
      out.push(
        best === tPath.length
          ? `Same category (${shared}) as ${matching.length} past purchase${plural(matching.length)}, latest "${example}".`
          : `Stays in ${shared}: ${matching.length} past purchase${plural(matching.length)} there, latest "${example}"; the target adds ${leaves[t.target]}.`,
      );
    } else if (tPath.length) {
      out.push(
        `New category for the user: ${tail(tPath)}, after mostly ${
          countBy(
            hist.map((i): [number, number] => [i, 1]),
            ([i]) => leaves[i],
          )[0][0]
        }.`,
      );
    }

    // The step from the latest purchase.
    const last = hist[hist.length - 1];
    const gap = histTimes[hist.length] - histTimes[hist.length - 1];
    const step = leaves[last] !== leaves[t.target] ? `: ${leaves[last]} to ${leaves[t.target]}` : '';
    out.push(`It follows "${names[last]}", bought ${gap < DAY / 2 ? 'the same day' : `${days(gap)} before`}${step}.`);

    // What the target's other buyers bought just before it (the user's own purchase excluded).
    const stats = this.priorStats(t.target);
    const own = seq[t.history - 1];
    const others = stats.total - 1;
    if (others > 0) {
      const byLeaf = stats.byLeaf
        .map(([l, n]): [string, number] => [l, l === leaves[own] ? n - 1 : n])
        .filter(([, n]) => n > 0);
      byLeaf.sort((a, b) => b[1] - a[1]);
      // Of the items other buyers had bought just before the target, the one most of them had
      // that the user owns too.
      let common = -1;
      for (const h of hist) {
        const r = stats.rank.get(h);
        if (r !== undefined && (h !== own || stats.list[r][1] > 1) && (common < 0 || r < stats.rank.get(common)!))
          common = h;
      }
      const before =
        byLeaf[0][1] >= 2
          ? `mostly ${byLeaf[0][0]} (${byLeaf[0][1]} of ${others})`
          : byLeaf
              .slice(0, 2)
              .map(([l]) => l)
              .join(' or ');
      out.push(
        `Its other buyers bought ${before} just before it${common >= 0 ? `, including "${names[common]}", which the user also bought` : ''}.`,
      );
    }

    // Repeat brands besides the target's.
    const repeats = countBy(
      hist.map((i): [string | null, number] => [items[i].brand, 1]),
      ([b]) => b ?? '',
    )
      .filter(([b, n]) => b && n >= 2 && b !== target.brand)
      .slice(0, 2);
    if (repeats.length) out.push(`Repeat brands: ${repeats.map(([b, n]) => `${plain(b)} (${n})`).join(', ')}.`);

    // Purchase rhythm.
    const gaps: number[] = [];
    for (let p = 1; p < histTimes.length; p++) gaps.push(histTimes[p] - histTimes[p - 1]);
    const sameDay = gaps.filter((g) => g < DAY).length;
    const typical = median(gaps);
    if (gaps.length >= 2)
      out.push(
        typical < DAY / 2
          ? `Buys in bursts: ${sameDay} of ${gaps.length} purchases on the same day as the previous one.`
          : `Buys about every ${days(typical)}${sameDay ? `, ${sameDay} time${plural(sameDay)} on the same day` : ''}.`,
      );
    return out.join(' ');
  }

  description(item: number): string {
    const { items } = this.view.ds;
    const it = items[item];
    const path = this.paths[item];
    const leaves = this.leaves;
    const out = [
      `Users who prefer ${path.length ? leaves[item] : 'items like this'}${it.brand ? ` from ${plain(it.brand)}` : ''} would find this item suitable.`,
    ];
    // The items bought just before it come straight after the opening: they are what links a
    // candidate to a user's latest purchases, and a short-window encoder cuts the end.
    const { list: priors } = this.priorStats(item);
    if (priors.length)
      out.push(
        `Its buyers bought ${priors
          .slice(0, PRIOR_NAMES)
          .map(([i]) => `"${this.names[i]}"`)
          .join(', ')} just before it.`,
      );
    if (path.length > 1) out.push(`It belongs to ${tail(path, 3)}.`);
    const brands = countBy(priors, ([i]) => items[i].brand ?? '')
      .filter(([b]) => b)
      .slice(0, 2);
    if (brands.length)
      out.push(`Brands they bought before: ${brands.map(([b, n]) => `${plain(b)} (${n})`).join(', ')}.`);
    const n = this.view.trainCount[item];
    out.push(n > 0 ? `Bought ${n} time${plural(n)} in the training data.` : 'No purchases in the training data.');
    return out.join(' ');
  }
}

interface PriorStats {
  list: Array<[number, number]>;
  rank: Map<number, number>;
  byLeaf: Array<[string, number]>;
  total: number;
}

/** How the template teacher names an item: its first words, without quotes (its id when it has no title). */
export function name(item: Item): string {
  const words = plain(itemName(item)).replace(/"/g, "'").trim().split(/\s+/);
  return words.length > NAME_WORDS ? words.slice(0, NAME_WORDS).join(' ') : words.join(' ');
}

function primaryPath(item: Item): string[] {
  return (item.categories[0] ?? []).map(plain);
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  nbsp: ' ',
  reg: '®',
  trade: '™',
  copy: '©',
};

/** Amazon metadata keeps HTML entities (L&#39;Oreal); the texts should not. */
function plain(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? whole;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
  });
}

function tail(path: string[], n = 2): string {
  return path.slice(Math.max(path.length > 1 ? 1 : 0, path.length - n)).join(' > ');
}

function commonDepth(a: string[], b: string[]): number {
  let d = 0;
  while (d < a.length && d < b.length && a[d] === b[d]) d++;
  return d;
}

/** Sums weights by key; most weight first, ties in first-seen order. */
function countBy<T>(xs: Array<[T, number]>, key: (x: [T, number]) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const x of xs) {
    const k = key(x);
    m.set(k, (m.get(k) ?? 0) + x[1]);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function days(seconds: number): string {
  const d = Math.round(seconds / DAY);
  return d === 0 ? 'the same day' : d === 1 ? '1 day' : `${d} days`;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
