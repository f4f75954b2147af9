import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestModel, makeRecommender, modelVersion } from '../app/registry.js';
import { loadDataset, trainCounts, type Dataset } from '../data/dataset.js';
import type { Item } from '../data/types.js';
import type { HistoryEntry } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import { HybridRecommender } from '../hybrid/hybrid.js';
import { resolveHistory, type HistoryEntryOptionalTime } from '../rank/history-input.js';
import { onlineHistory, topRows } from '../rank/online.js';
import type { History, ItemExplanation, Ranking, Recommender } from '../rank/recommender.js';
import { resolvePublished } from '../io/publish.js';
import { UserError } from '../util/errors.js';
import { Catalogue } from './catalogue.js';
import { ItemStore } from './item-store.js';
import type { Metrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import { LIMITS, type ItemInput } from './schemas.js';

/**
 * Micro-batches ranked at once by default. With more, one batch's ranking overlaps the next one's
 * encoding, but on two cores the batches get smaller and each request costs more CPU.
 */
export const BATCHES_IN_FLIGHT = 1;

export interface ServiceOptions {
  /** Any recommender `evaluate` takes; default: the trained model with the best validation NDCG@10. */
  model?: string;
  device?: string;
  /** Micro-batching: how long a lone request waits for company, the largest batch, and how many batches run at once. */
  windowMs?: number;
  maxBatch?: number;
  inFlight?: number;
  /** How many history vectors text models keep for repeated histories (0: none). */
  cacheSize?: number;
}

export interface Recommended {
  item_id: string;
  title: string;
  score: number;
  /** Training users' reasoning texts nearest to the item (models with an R2END part). */
  explanations?: Array<{ user_id: string; similarity: number; text: string }>;
  /** A hybrid's parts: standardised score, weight and contribution of each. */
  contributions?: Array<{ part: string; weight: number; score: number; contribution: number }>;
  /** History items that led to the item (item kNN). */
  because?: Array<{ item_id: string; title: string; score: number }>;
}

interface Query {
  /** Who scores: the served model, or one of its parts. */
  rec: Recommender;
  history: History;
  k: number;
  exclude: ReadonlySet<number>;
}

/** A ranking against one catalogue (the rows are that catalogue's). */
interface Ranked extends Ranking {
  catalogue: Catalogue;
}

/** The model being served, as one unit that a reload swaps whole. */
interface Served {
  name: string;
  /** Which training of the model this is (changes with every retrain). */
  version: string;
  rec: Recommender;
  /** Rows the model scores: the dataset's and the run-time items it was given. */
  catalogue: Catalogue;
}

/**
 * What the HTTP layer serves: any trained recommender (R2END, SASRec/GRU4Rec, item kNN, pop,
 * hybrids), the catalogue with items added at run time, explanations and the popularity
 * baseline. Concurrent requests share one score() call; every request is scored by the same
 * code path as `r2end recommend` and the evaluator.
 */
export class RecommendationService {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly batcher: MicroBatcher<Query, Ranked>;
  /** Training items by count, most popular first (lower index first among equals). */
  private readonly popularOrder: number[];

  private constructor(
    private readonly ws: Workspace,
    readonly ds: Dataset,
    private served: Served,
    private readonly store: ItemStore,
    private readonly popularity: Int32Array,
    private readonly options: ServiceOptions & { metrics: Metrics },
  ) {
    this.batcher = new MicroBatcher((queries) => this.rank(queries), {
      windowMs: options.windowMs ?? 2,
      maxBatch: options.maxBatch ?? 64,
      inFlight: options.inFlight ?? BATCHES_IN_FLIGHT,
    });
    this.popularOrder = Array.from(popularity.keys())
      .sort((a, b) => popularity[b] - popularity[a] || a - b)
      .slice(0, LIMITS.k);
  }

  /** Opens the workspace's model (`options.model`, else the best by validation NDCG@10) with the run-time items. */
  static async open(ws: Workspace, metrics: Metrics, options: ServiceOptions = {}): Promise<RecommendationService> {
    const ds = loadDataset(ws);
    const store = new ItemStore(ws);
    const all = { ...options, metrics };
    const served = await load(ws, ds, store, all);
    return new RecommendationService(ws, ds, served, store, trainCounts(ds), all);
  }

  get model(): string {
    return this.served.name;
  }

  get version(): string {
    return this.served.version;
  }

  /**
   * Loads the model again (a newer version, after a retrain) and swaps it in whole: requests
   * already being scored finish on the old one, the next ones use the new one.
   */
  async reload(): Promise<{ from: string; to: string }> {
    const from = this.served.version;
    const next = await load(this.ws, this.ds, this.store, { ...this.options, model: this.served.name });
    this.served = next;
    return { from, to: next.version };
  }

  get items(): Catalogue {
    return this.served.catalogue;
  }

  /** Whether recommendations come with reasoning texts (an R2END part). */
  get explains(): boolean {
    return this.served.rec.explain !== undefined;
  }

  /** The served hybrid's parts, each of which a request may ask alone; none for other models. */
  get parts(): Array<{ name: string; weight: number }> {
    return members(this.served.rec).map(({ name, weight }) => ({ name, weight }));
  }

  /**
   * Top-k for a history of catalogue items and free text, asked for at `time` (default: its
   * latest entry), by the served model or, given `part`, by that part of the served hybrid alone.
   */
  async recommend(
    input: readonly HistoryEntryOptionalTime[],
    k: number,
    excludeSeen: boolean,
    explain: boolean,
    time?: number,
    part?: string,
    where: (i: number) => string = (i) => `field "history.${i}"`,
  ): Promise<Recommended[]> {
    const rec = this.scorer(part);
    const now = Date.now() / 1000;
    const withTimes = input.map((e) => ({ ...e, timestamp: e.timestamp ?? now }));
    const entries = resolveHistory(this.items, withTimes, where);
    return this.recommendEntries(rec, entries, k, excludeSeen, explain, time);
  }

  /** Top-k for a user of the dataset from their whole history (as `r2end recommend --user`). */
  async recommendUser(
    userId: string,
    k: number,
    excludeSeen: boolean,
    explain: boolean,
    part?: string,
  ): Promise<Recommended[]> {
    const rec = this.scorer(part);
    const u = this.ds.userIndex.get(userId);
    if (u === undefined) throw new UserError(`user "${userId}" is not a user of this workspace`);
    return this.recommendEntries(rec, this.userEntries(u), k, excludeSeen, explain);
  }

  /**
   * Top-k of many users of the dataset (their indices) at once, each ranked as recommendUser
   * ranks them, in one ranking call: not through the micro-batcher, the caller chose the batch.
   */
  async recommendUsers(users: readonly number[], k: number, excludeSeen: boolean): Promise<Recommended[][]> {
    const { rec } = this.served;
    const ranked = await this.rank(users.map((u) => this.query(rec, this.userEntries(u), k, excludeSeen)));
    return ranked.map(listed);
  }

  /** A user's whole history, oldest first. */
  private userEntries(u: number): HistoryEntry[] {
    return Array.from(this.ds.sequences[u], (row, p): HistoryEntry => ({
      item: this.items.items[row],
      timestamp: this.ds.times[u][p],
    }));
  }

  /** The served model, or its part named `part` (a 400 naming the field when it has none such). */
  private scorer(part: string | undefined): Recommender {
    const { rec, name } = this.served;
    if (part === undefined) return rec;
    const found = members(rec).find((m) => m.name === part);
    if (found) return found.recommender;
    const names = this.parts.map((p) => p.name);
    throw new UserError(
      `field "part": "${part}" is not a part of ${name}` +
        (names.length ? ` (its parts: ${names.join(', ')})` : ` (${name} is not a hybrid; it has no parts)`),
    );
  }

  /** What `rec` ranks for a history: it as every model reads it, and the rows it must not get. */
  private query(rec: Recommender, entries: HistoryEntry[], k: number, excludeSeen: boolean, time?: number): Query {
    const at = this.served.catalogue;
    const rowOf = (e: Extract<HistoryEntry, { item: unknown }>) => at.itemIndex.get(e.item.id)!;
    const history = onlineHistory(entries, rowOf, at.trained, time);
    const exclude = new Set(excludeSeen ? entries.flatMap((e) => ('item' in e ? [rowOf(e)] : [])) : []);
    return { rec, history, k, exclude };
  }

  private async recommendEntries(
    rec: Recommender,
    entries: HistoryEntry[],
    k: number,
    excludeSeen: boolean,
    explain: boolean,
    time?: number,
  ): Promise<Recommended[]> {
    const query = this.query(rec, entries, k, excludeSeen, time);
    const ranked = await this.batcher.submit(query);
    const out = listed(ranked);
    if (explain && rec.explain && ranked.rows.length) {
      const why = await rec.explain(query.history, ranked.rows);
      out.forEach((r, i) => Object.assign(r, this.explanation(why[i], ranked.catalogue)));
    }
    return out;
  }

  private explanation(e: ItemExplanation, catalogue: Catalogue): Partial<Recommended> {
    const out: Partial<Recommended> = {};
    if (e.reasoning) out.explanations = e.reasoning;
    if (e.parts)
      out.contributions = e.parts.map((p) => ({
        part: p.name,
        weight: p.weight,
        score: p.score,
        contribution: p.contribution,
      }));
    if (e.neighbours)
      out.because = e.neighbours.map((n) => ({
        item_id: catalogue.items[n.item].id,
        title: catalogue.items[n.item].title,
        score: n.score,
      }));
    return out;
  }

  /**
   * One ranking call per recommender in a batch of requests (the served model, parts asked
   * alone): each request's top-k over the catalogue.
   */
  private async rank(queries: Query[]): Promise<Ranked[]> {
    const { catalogue } = this.served;
    const out: Ranked[] = [];
    for (const rec of new Set(queries.map((q) => q.rec))) {
      const mine = [...queries.keys()].filter((i) => queries[i].rec === rec);
      const start = performance.now();
      const top = await ranking(
        rec,
        mine.map((i) => queries[i]),
      );
      this.options.metrics.scoring(mine.length, (performance.now() - start) / 1000);
      mine.forEach((q, j) => (out[q] = { catalogue, ...top[j] }));
    }
    return out;
  }

  /** The most popular items in training (the baseline the page compares with). */
  popular(k: number): Array<{ item_id: string; title: string; score: number }> {
    return this.popularOrder.slice(0, k).map((i) => ({
      item_id: this.items.items[i].id,
      title: this.items.items[i].title,
      score: this.popularity[i],
    }));
  }

  /** Items whose title or id contains `q` (case-insensitive), in catalogue order. */
  search(q: string, limit: number): Array<{ item_id: string; title: string; added: boolean }> {
    const needle = q.trim().toLowerCase();
    const out: Array<{ item_id: string; title: string; added: boolean }> = [];
    const { items } = this.items;
    for (let i = 0; i < items.length && out.length < limit; i++) {
      if (!needle || items[i].title.toLowerCase().includes(needle) || items[i].id.toLowerCase() === needle)
        out.push({ item_id: items[i].id, title: items[i].title, added: this.items.isAdded(i) });
    }
    return out;
  }

  /**
   * Adds or updates items without retraining: persisted first, then given to the model (content
   * models embed them; ID models give them the neutral score) and live for the next request.
   * Writes run one at a time.
   */
  addItems(inputs: readonly ItemInput[]): Promise<{ added: number; updated: number; index_size: number }> {
    const run = this.writes.then(async () => {
      const items: Item[] = inputs.map((it) => ({
        id: it.item_id,
        title: it.title,
        categories: it.categories,
        brand: it.brand,
        description: it.description,
      }));
      this.store.save(items);
      const served = this.served;
      const { catalogue, rows, added, updated } = served.catalogue.with(items);
      await served.rec.addItems?.(rows.map((row, i) => ({ row, item: items[i] })));
      this.served = { ...served, catalogue };
      return { added, updated, index_size: catalogue.count };
    });
    this.writes = run.catch(() => {});
    return run;
  }

  /** The model card: MODEL.md beside the model when training wrote one, else its description. */
  modelCard(): string {
    const dir = resolvePublished(this.ws, this.served.name);
    const file = dir && join(dir, 'MODEL.md');
    if (file && existsSync(file)) return readFileSync(file, 'utf8');
    const about = Object.entries(this.served.rec.describe()).map(([k, v]) => `| ${k} | ${v} |`);
    return [`# ${this.served.name}`, '', '| | |', '|---|---|', ...about, ''].join('\n');
  }

  describe(): Record<string, string | number | boolean> {
    const { rec, name, catalogue } = this.served;
    return {
      ...rec.describe(),
      name,
      version: this.served.version,
      items: catalogue.count,
      added: catalogue.count - catalogue.trained,
      users: this.ds.userIds.length,
      explanations: this.explains,
      workspace: this.ws.dir,
    };
  }
}

/**
 * Each query's top-k by `rec`: in the engine when the model holds its items there, else from its
 * score rows. A part that is an ID model scores only the dataset's items: its rows are narrower
 * and rank those.
 */
async function ranking(rec: Recommender, queries: readonly Query[]): Promise<Ranking[]> {
  const histories = queries.map((q) => q.history);
  if (rec.topK) {
    const k = Math.max(...queries.map((q) => q.k));
    const top = await rec.topK(
      histories,
      k,
      queries.map((q) => [...q.exclude]),
    );
    return top.map((t, j) => ({ rows: t.rows.slice(0, queries[j].k), scores: t.scores.slice(0, queries[j].k) }));
  }
  const scores = await rec.score(histories);
  const width = scores.length / queries.length;
  return queries.map((q, j) => topRows(scores.subarray(j * width, (j + 1) * width), q.k, q.exclude));
}

/** A ranking as the service answers it: ids, titles and scores. */
function listed({ catalogue, rows, scores }: Ranked): Recommended[] {
  return rows.map((row, i) => ({
    item_id: catalogue.items[row].id,
    title: catalogue.items[row].title,
    score: scores[i],
  }));
}

/** A hybrid's parts; other models have none. */
function members(rec: Recommender): HybridRecommender['members'] {
  return rec instanceof HybridRecommender ? rec.members : [];
}

/** The model, fitted, with the run-time items of the workspace given to it. */
async function load(
  ws: Workspace,
  ds: Dataset,
  store: ItemStore,
  options: ServiceOptions & { metrics: Metrics },
): Promise<Served> {
  const name = options.model ?? bestModel(ws).name;
  const rec = makeRecommender(name, ws, {
    device: options.device,
    cacheSize: options.cacheSize ?? 10_000,
    observer: options.metrics,
  });
  await rec.fit(ds);
  const { catalogue, rows } = Catalogue.of(ds.items).with(store.load());
  await rec.addItems?.(rows.map((row) => ({ row, item: catalogue.items[row] })));
  // Loads what explanations need now, so a model that cannot explain fails at start, not mid-request.
  await rec.explain?.({ items: new Int32Array(0), times: new Float64Array(0) }, []);
  return { name, version: modelVersion(ws, name), rec, catalogue };
}
