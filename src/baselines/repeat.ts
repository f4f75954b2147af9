import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkTrainedOn, datasetFingerprint, evalCase, trainCounts, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { evaluate } from '../eval/evaluate.js';
import { writeAtomic } from '../io/atomic.js';
import { publish, resolvePublished, startStaging } from '../io/publish.js';
import { check, UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import type { History, Recommender } from '../rank/recommender.js';

/**
 * Repeat consumption: the items of the user's own history, scored by decayed frequency,
 * score(i) = 1 + sum over the positions p holding i of decay^age(p), age counted in positions
 * from the newest (0). This is TIFU-KNN's repeat part (time-decayed user-item frequency, each
 * interaction its own group); one decay spans the personal-frequency baseline (1) to pure
 * recency (towards 0), and a validation grid over it stands in for what RepeatNet's repeat mode
 * learns. Positions rather than days: no time scale to choose per dataset (Yelp reviews lie
 * months apart, grocery trips days), and a pause does not erase a user's favourites. The 1 keeps
 * every history item above every other even where decay^age underflows; the other items follow
 * by a popularity prior far below 1, so the rest of the ranking is most-popular, not ties.
 *
 * Satiation (the studies of repeat consumption find it beside recency: what was just consumed
 * is rarely consumed again at once): an item last seen less than `satiation` seconds before the
 * request has its sum scaled by SATIATION_FACTOR. The window is chosen on validation with the
 * decay, 0 (off) among the choices, so data without the effect keeps plain decayed frequency.
 */
export const REPEAT_FILE = 'repeat.json';

/** The decays tried on validation (1: frequency only; small: the newest items first). */
export const DECAYS: readonly number[] = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1];
/** The satiation windows tried on validation, in seconds: off, an hour, a day, a week. */
export const SATIATIONS: readonly number[] = [0, 3600, 86_400, 7 * 86_400];
/** How much an item inside the satiation window keeps of its decayed frequency. */
export const SATIATION_FACTOR = 0.1;

/** A repeat model's settings. */
export interface RepeatSettings {
  decay: number;
  /** Seconds: items last seen this recently before the request are damped (0: never). */
  satiation: number;
}

export interface RepeatSpec extends RepeatSettings {
  kind: 'repeat';
  /** Validation metrics of every setting tried (the evidence for the choice). */
  validation: Array<RepeatSettings & { 'NDCG@10': number; 'HR@10': number }>;
  validationUsers: number;
  /** Validation targets that occur in their user's history: what any repeat model can reach. */
  validationRepeatShare: number;
  dataset: string;
  /** What it was trained on (datasetFingerprint): a workspace with other data refuses it. */
  fingerprint: string;
  created: string;
}

export class RepeatRecommender implements Recommender {
  private prior = new Float32Array(0);

  constructor(
    readonly settings: RepeatSettings,
    readonly name = 'repeat',
  ) {
    check(settings.decay > 0 && settings.decay <= 1, `repeat decay must be in (0, 1], got ${settings.decay}`);
    check(settings.satiation >= 0, `repeat satiation must be >= 0 seconds, got ${settings.satiation}`);
  }

  describe() {
    return {
      model: 'repeat (position-decayed frequency of the history items)',
      decay: this.settings.decay,
      'satiation seconds': this.settings.satiation,
    };
  }

  /** A saved model's recorded data and the command that makes it again. */
  trainedOn?: { fingerprint?: string; retrain: string };

  async fit(ds: Dataset): Promise<void> {
    if (this.trainedOn) checkTrainedOn(ds, this.name, this.trainedOn.fingerprint, this.trainedOn.retrain);
    const counts = trainCounts(ds);
    const max = Math.max(1, ...counts);
    this.prior = Float32Array.from(counts, (c) => (1e-6 * c) / max);
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    const n = this.prior.length;
    const out = new Float32Array(histories.length * n);
    histories.forEach((h, r) => {
      const row = out.subarray(r * n, (r + 1) * n);
      row.set(this.prior);
      // Summed in double precision, newest first, before the row's float32 rounding.
      const sums = new Map<number, number>();
      const satiated = new Set<number>();
      const { decay, satiation } = this.settings;
      const now = h.time ?? h.times[h.times.length - 1];
      let w = 1;
      for (let p = h.items.length - 1; p >= 0; p--, w *= decay) {
        const item = h.items[p];
        // The newest occurrence decides whether the item is inside the satiation window.
        if (!sums.has(item) && now - h.times[p] < satiation) satiated.add(item);
        sums.set(item, (sums.get(item) ?? 0) + w);
      }
      for (const [item, s] of sums) row[item] = 1 + (satiated.has(item) ? SATIATION_FACTOR * s : s);
    });
    return out;
  }
}

/**
 * Chooses the decay and the satiation window on validation through the evaluator (NDCG@10,
 * expected ties; among equals the first in grid order, so no satiation unless it helps) and
 * saves WORK/models/NAME/repeat.json, the file that marks the model as trained. A model already
 * trained on the same data over the same grid is kept (the choice would be the same).
 */
export async function trainRepeat(
  ws: Workspace,
  ds: Dataset,
  options: {
    name: string;
    decays?: readonly number[];
    satiations?: readonly number[];
    fresh?: boolean;
    log?: (line: string) => void;
  },
): Promise<RepeatSpec> {
  const grid = (options.decays ?? DECAYS).flatMap((decay) =>
    (options.satiations ?? SATIATIONS).map((satiation) => ({ decay, satiation })),
  );
  const key = (settings: readonly RepeatSettings[]) => settings.map((v) => `${v.decay}/${v.satiation}`).join();
  const published = resolvePublished(ws, options.name);
  if (!options.fresh && published && existsSync(join(published, REPEAT_FILE))) {
    const spec = readRepeatSpec(published);
    if (key(spec.validation) === key(grid) && spec.fingerprint === datasetFingerprint(ds)) {
      options.log?.(`repeat: ${options.name} is already trained on this data (--fresh trains it again)`);
      return spec;
    }
  }
  const validation: RepeatSpec['validation'] = [];
  for (const settings of grid) {
    const rec = new RepeatRecommender(settings, options.name);
    await rec.fit(ds);
    const { metrics } = await evaluate(rec, ds, { split: 'valid', silent: true });
    validation.push({ ...settings, 'NDCG@10': metrics['NDCG@10'], 'HR@10': metrics['HR@10'] });
    options.log?.(
      `repeat decay ${settings.decay}, satiation ${settings.satiation} s: validation NDCG@10 ${metrics['NDCG@10'].toFixed(4)}, HR@10 ${metrics['HR@10'].toFixed(4)}`,
    );
  }
  const best = validation.reduce((a, b) => (b['NDCG@10'] > a['NDCG@10'] ? b : a));
  const users = ds.userIds.length;
  let repeats = 0;
  for (let u = 0; u < users; u++) {
    const c = evalCase(ds, u, 'valid');
    repeats += +c.history.includes(c.target);
  }
  const spec: RepeatSpec = {
    kind: 'repeat',
    decay: best.decay,
    satiation: best.satiation,
    validation,
    validationUsers: users,
    validationRepeatShare: repeats / Math.max(users, 1),
    dataset: ds.name,
    fingerprint: datasetFingerprint(ds),
    created: new Date().toISOString(),
  };
  writeAtomic(join(startStaging(ws, options.name), REPEAT_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  publish(ws, options.name, spec.created);
  return spec;
}

/** A saved repeat model's spec, checked enough that a foreign file is one clear line. */
export function readRepeatSpec(dir: string): RepeatSpec {
  const file = join(dir, REPEAT_FILE);
  const spec = readJsonFile<RepeatSpec>(file, 'train it first: r2end train --model repeat');
  if (spec.kind !== 'repeat' || typeof spec.decay !== 'number' || !Array.isArray(spec.validation))
    throw new UserError(`${file}: not a repeat model (expected kind, decay, validation)`);
  // A model of an earlier r2end chose the decay alone: no satiation.
  spec.satiation ??= 0;
  for (const v of spec.validation) v.satiation ??= 0;
  return spec;
}

/** The trained repeat model `name` of the workspace (checked against the data when it is fitted). */
export function loadRepeat(ws: Workspace, name: string): RepeatRecommender {
  const spec = readRepeatSpec(resolvePublished(ws, name) ?? ws.path('models', name));
  const rec = new RepeatRecommender({ decay: spec.decay, satiation: spec.satiation }, name);
  rec.trainedOn = {
    fingerprint: spec.fingerprint,
    retrain: `\`r2end train --work ${ws.dir} --model repeat --name ${name}\``,
  };
  return rec;
}
