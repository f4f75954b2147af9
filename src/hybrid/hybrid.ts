import { join } from 'node:path';
import { checkTrainedOn, datasetFingerprint, evalCase, trainCounts, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { expectedHit, expectedNdcg } from '../eval/metrics.js';
import { writeAtomic } from '../io/atomic.js';
import { publish, resolvePublished, startStaging } from '../io/publish.js';
import { check, UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { Progress } from '../util/progress.js';
import type { Item } from '../data/types.js';
import type { History, ItemExplanation, Recommender } from '../rank/recommender.js';

/**
 * A hybrid of trained recommenders (e.g. R2END's text side with SASRec's collaborative side):
 * every part's scores are standardised per user (z-scores over all items) and summed with
 * weights chosen on validation NDCG@10. Parts that know items only from interactions say
 * nothing about items without training interactions: those get the part's mean (z = 0), so
 * cold-start items are ranked by the text side alone.
 */
export const HYBRID_FILE = 'hybrid.json';

export interface HybridSpec {
  kind: 'hybrid';
  parts: string[];
  weights: number[];
  /** Validation metrics of every weight vector tried (the evidence for the choice). */
  validation: Array<{ weights: number[]; 'NDCG@10': number; 'HR@10': number }>;
  validationUsers: number;
  /** The grid's step (absent in hybrids of an older r2end). */
  step?: number;
  /** datasetFingerprint of the data the weights were chosen on (absent in hybrids of an older r2end). */
  fingerprint?: string;
  created: string;
}

/** Z-scores of each row in place; collaborative parts give items without training data z = 0. */
function standardize(scores: Float32Array, items: number, cold: Uint8Array | undefined): void {
  for (let r = 0; r < scores.length / items; r++) {
    const row = scores.subarray(r * items, (r + 1) * items);
    let n = 0,
      mean = 0,
      sq = 0;
    for (let j = 0; j < items; j++) {
      if (cold?.[j]) continue;
      n++;
      const d = row[j] - mean;
      mean += d / n;
      sq += d * (row[j] - mean);
    }
    const sd = n > 1 ? Math.sqrt(sq / n) : 0;
    const scale = sd > 0 ? 1 / sd : 0;
    for (let j = 0; j < items; j++) row[j] = cold?.[j] ? 0 : (row[j] - mean) * scale;
  }
}

/** Items without training interactions (what ID-based parts cannot score). */
function coldItems(ds: Dataset): Uint8Array {
  return Uint8Array.from(trainCounts(ds), (c) => +(c === 0));
}

/**
 * Standardised scores of every part for a batch of histories, each `items` wide. A part whose
 * rows are narrower (an ID model, which knows only the dataset's items) gives the items after
 * its last row z = 0, as it does for items without training interactions. The parts are asked
 * all at once, so the ones scored on this thread run while the engine computes the others.
 */
function partScores(
  parts: readonly Recommender[],
  histories: readonly History[],
  items: number,
  cold: Uint8Array,
): Promise<Float32Array[]> {
  return Promise.all(
    parts.map(async (part) => {
      const raw = await part.score(histories);
      const width = histories.length ? raw.length / histories.length : items;
      standardize(raw, width, part.scoresUnseenItems ? undefined : cold);
      if (width === items) return raw;
      const padded = new Float32Array(histories.length * items);
      for (let r = 0; r < histories.length; r++) padded.set(raw.subarray(r * width, (r + 1) * width), r * items);
      return padded;
    }),
  );
}

/** The cut-off of the validation metrics weights are chosen by (NDCG@10, HR@10). */
const CUTOFF = 10;

/**
 * One item's combined score, in exactly the float32 arithmetic of `HybridRecommender.score`
 * (parts in order, each product added and rounded to float32), so validation sees the ties the
 * saved hybrid will have.
 */
function combinedAt(rows: readonly Float32Array[], weights: readonly number[], j: number): number {
  let v = 0;
  for (let p = 0; p < rows.length; p++) if (weights[p] !== 0) v = Math.fround(v + weights[p] * rows[p][j]);
  return v;
}

/**
 * The items that can score at least as high as the target under some weights of the simplex:
 * those at or above the target in some part, or so close below it that float32 rounding of the
 * sum could tie them (each of the parts' additions rounds by at most half an ulp of the largest
 * magnitude). Every other item stays strictly below the target for every weight vector, so only
 * these are counted.
 */
function contenders(
  rows: readonly Float32Array[],
  target: number,
  scratch: { most: Float64Array; found: Int32Array },
): Int32Array {
  const n = rows[0].length;
  const { most, found } = scratch;
  most.fill(-Infinity);
  let magnitude = 1;
  for (const row of rows) {
    const t = row[target];
    for (let j = 0; j < n; j++) {
      const v = row[j];
      if (v > magnitude) magnitude = v;
      else if (-v > magnitude) magnitude = -v;
      if (v - t > most[j]) most[j] = v - t;
    }
  }
  const slack = -4 * rows.length * magnitude * 2 ** -23;
  let count = 0;
  for (let j = 0; j < n; j++) if (most[j] >= slack) found[count++] = j;
  return found.subarray(0, count);
}

/**
 * The weight grid's step unless one is given: 0.05 up to four parts, 0.1 beyond, where the grid
 * would grow from 1,771 weight vectors (four parts) to 10,626 (five), each scored on every
 * validation user.
 */
export function defaultStep(parts: number): number {
  return parts <= 4 ? 0.05 : 0.1;
}

/** Every weight vector on the simplex with the given step (weights sum to 1). */
export function weightGrid(parts: number, step: number): number[][] {
  const units = Math.round(1 / step);
  const out: number[][] = [];
  const walk = (prefix: number[], left: number) => {
    if (prefix.length === parts - 1) return void out.push([...prefix, left].map((u) => u / units));
    for (let u = left; u >= 0; u--) walk([...prefix, u], left - u);
  };
  walk([], units);
  return out;
}

export class HybridRecommender implements Recommender {
  readonly scoresUnseenItems: boolean;
  private cold?: Uint8Array;
  /** Items scored per row: the dataset's, then those added at run time. */
  private width = 0;
  /** A saved hybrid's recorded data and the command that makes it again. */
  private trainedOn?: { fingerprint?: string; retrain: string };

  constructor(
    readonly name: string,
    private readonly parts: readonly Recommender[],
    private readonly weights: readonly number[],
  ) {
    check(
      parts.length >= 2 && parts.length === weights.length,
      `hybrid ${name}: needs two or more parts, one weight each`,
    );
    this.scoresUnseenItems = parts.some((p, i) => p.scoresUnseenItems && weights[i] > 0);
  }

  /** The parts with their weights, so a part can be asked alone (e.g. to compare with the hybrid). */
  get members(): ReadonlyArray<{ name: string; recommender: Recommender; weight: number }> {
    return this.parts.map((recommender, i) => ({ name: recommender.name, recommender, weight: this.weights[i] }));
  }

  /** The saved hybrid `name` in the workspace, its parts made by `make`. */
  static load(ws: Workspace, name: string, make: (part: string) => Recommender): HybridRecommender {
    const spec = readSpec(join(resolvePublished(ws, name) ?? ws.path('models', name), HYBRID_FILE));
    const hybrid = new HybridRecommender(name, spec.parts.map(make), spec.weights);
    hybrid.trainedOn = {
      fingerprint: spec.fingerprint,
      retrain: `\`r2end hybrid --work ${ws.dir} --parts ${spec.parts.join(',')} --name ${name}\``,
    };
    return hybrid;
  }

  describe(): Record<string, string | number | boolean> {
    const about: Record<string, string | number | boolean> = {
      model: 'hybrid: weighted sum of per-user standardised scores',
    };
    this.parts.forEach((p, i) => (about[`${p.name} weight`] = this.weights[i]));
    for (const p of this.parts) for (const [k, v] of Object.entries(p.describe())) about[`${p.name}.${k}`] = v;
    return about;
  }

  async fit(ds: Dataset): Promise<void> {
    if (this.trainedOn) checkTrainedOn(ds, this.name, this.trainedOn.fingerprint, this.trainedOn.retrain);
    for (const p of this.parts) await p.fit(ds);
    this.cold = coldItems(ds);
    this.width = ds.items.length;
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    if (!this.cold) throw new Error('HybridRecommender.score before fit');
    const scores = await partScores(this.parts, histories, this.width, this.cold);
    const out = new Float32Array(histories.length * this.width);
    const weights = this.weights.map(Math.fround);
    scores.forEach((s, p) => {
      const w = weights[p];
      if (w !== 0) for (let j = 0; j < out.length; j++) out[j] += w * s[j];
    });
    return out;
  }

  /** Items added at run time reach the content parts; the ID parts give them z = 0. */
  async addItems(items: ReadonlyArray<{ row: number; item: Item }>): Promise<void> {
    for (const p of this.parts) await p.addItems?.(items);
    this.width = Math.max(this.width, ...items.map(({ row }) => row + 1));
  }

  /** Each part's standardised score and weight for each item, with what the parts themselves explain. */
  async explain(history: History, rows: readonly number[]): Promise<ItemExplanation[]> {
    if (!this.cold) throw new Error('HybridRecommender.explain before fit');
    const scores = await partScores(this.parts, [history], this.width, this.cold);
    const own = await Promise.all(
      this.parts.map((p, i) => (this.weights[i] > 0 && p.explain ? p.explain(history, rows) : undefined)),
    );
    return rows.map((row, r) => {
      const out: ItemExplanation = {
        parts: this.parts.map((p, i) => ({
          name: p.name,
          weight: this.weights[i],
          score: scores[i][row],
          contribution: this.weights[i] * scores[i][row],
        })),
      };
      for (const e of own) {
        if (e?.[r].reasoning && !out.reasoning) out.reasoning = e[r].reasoning;
        if (e?.[r].neighbours && !out.neighbours) out.neighbours = e[r].neighbours;
      }
      return out;
    });
  }
}

/**
 * Chooses the weights on the validation split: every weight vector of the grid is scored on
 * the same validation users (part scores computed once per batch) by NDCG@10 with expected ties.
 * The parts must already be fitted.
 */
export async function chooseWeights(
  parts: readonly Recommender[],
  ds: Dataset,
  options: { step?: number; users?: readonly number[]; silent?: boolean } = {},
): Promise<Omit<HybridSpec, 'kind' | 'created'>> {
  const step = options.step ?? defaultStep(parts.length);
  const grid = weightGrid(parts.length, step);
  const users = options.users ?? Array.from(ds.userIds.keys());
  const items = ds.items.length;
  const cold = coldItems(ds);
  const scratch = { most: new Float64Array(items), found: new Int32Array(items) };
  const ndcg = new Float64Array(grid.length);
  const hit = new Float64Array(grid.length);
  const progress = new Progress('hybrid: weights on validation', users.length, {
    unit: 'users',
    silent: options.silent,
  });
  const batchSize = 256;
  for (let b = 0; b < users.length; b += batchSize) {
    const cases = users.slice(b, b + batchSize).map((u) => evalCase(ds, u, 'valid'));
    const scores = await partScores(
      parts,
      cases.map((c) => ({ items: c.history, times: c.historyTimes, time: c.targetTime })),
      items,
      cold,
    );
    cases.forEach((c, r) => {
      const rows = scores.map((s) => s.subarray(r * items, (r + 1) * items));
      const rivals = contenders(rows, c.target, scratch);
      grid.forEach((weights, g) => {
        const w = weights.map(Math.fround);
        const t = combinedAt(rows, w, c.target);
        let greater = 0;
        let equal = 0;
        for (const j of rivals) {
          const v = combinedAt(rows, w, j);
          // Ten items above the target already make both metrics 0: the rest cannot change them.
          if (v > t && ++greater === CUTOFF) break;
          equal += +(v === t && j !== c.target);
        }
        ndcg[g] += expectedNdcg(greater, equal, CUTOFF);
        hit[g] += expectedHit(greater, equal, CUTOFF);
      });
    });
    progress.tick(cases.length);
  }
  progress.finish();
  const validation = grid.map((weights, g) => ({
    weights,
    'NDCG@10': ndcg[g] / users.length,
    'HR@10': hit[g] / users.length,
  }));
  // The best NDCG@10; among equals the first in grid order (the first part weighted most).
  const best = validation.reduce((a, b) => (b['NDCG@10'] > a['NDCG@10'] ? b : a));
  return {
    parts: parts.map((p) => p.name),
    weights: best.weights,
    validation,
    validationUsers: users.length,
    step,
    fingerprint: datasetFingerprint(ds),
  };
}

/** Publishes the hybrid `name` as a new version (computed whole, so staged from nothing); returns its spec file. */
export function saveHybrid(ws: Workspace, name: string, chosen: Omit<HybridSpec, 'kind' | 'created'>): string {
  const spec: HybridSpec = { kind: 'hybrid', ...chosen, created: new Date().toISOString() };
  writeAtomic(join(startStaging(ws, name), HYBRID_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  return join(publish(ws, name, spec.created).dir, HYBRID_FILE);
}

function readSpec(file: string): HybridSpec {
  const spec = readJsonFile<HybridSpec>(file, 'train the hybrid first');
  if (spec.kind !== 'hybrid' || !Array.isArray(spec.parts) || !Array.isArray(spec.weights))
    throw new UserError(`${file}: not a hybrid model (expected kind, parts, weights)`);
  return spec;
}
