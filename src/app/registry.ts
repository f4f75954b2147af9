import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ItemKnnRecommender } from '../baselines/itemknn.js';
import { PopRecommender } from '../baselines/pop.js';
import { loadRepeat, readRepeatSpec, REPEAT_FILE } from '../baselines/repeat.js';
import type { Workspace } from '../data/workspace.js';
import { modelVersion as publishedVersion, publishedNames, resolvePublished } from '../io/publish.js';
import { SEQUENTIAL_MODELS } from '../sequential/config.js';
import { INFO_FILE } from '../sequential/net.js';
import { SequentialRecommender } from '../sequential/recommender.js';
import { UserError } from '../util/errors.js';
import { HYBRID_FILE, HybridRecommender, type HybridSpec } from '../hybrid/hybrid.js';
import type { TrainingRecord } from '../r2end/record.js';
import { readJsonFile } from '../util/json-file.js';
import { R2ENDRecommender, type R2ENDOptions } from '../r2end/recommender.js';
import type { Recommender } from '../rank/recommender.js';

/** Recommenders that need nothing but the training data. */
export const BASELINES: Record<string, () => Recommender> = {
  pop: () => new PopRecommender(),
  itemknn: () => new ItemKnnRecommender(),
};

/** How recommenders are made: the engine's device, and for online use R2END's history-vector cache. */
export type MakeOptions = R2ENDOptions;

/**
 * What a finished model folder holds, by the file that marks it: an R2END bundle, a sequential
 * model, a repeat model (its decay chosen on validation) or a hybrid.
 */
const KINDS = [
  {
    marker: 'bundle.json',
    make: (ws: Workspace, name: string, o: MakeOptions): Recommender => new R2ENDRecommender(ws, name, o),
  },
  {
    marker: INFO_FILE,
    make: (ws: Workspace, name: string, o: MakeOptions): Recommender => new SequentialRecommender(ws, name, o.device),
  },
  {
    marker: REPEAT_FILE,
    make: (ws: Workspace, name: string): Recommender => loadRepeat(ws, name),
  },
  {
    marker: HYBRID_FILE,
    make: (ws: Workspace, name: string, o: MakeOptions): Recommender =>
      HybridRecommender.load(ws, name, (part) => {
        if (part === name) throw new UserError(`hybrid ${name} lists itself as a part`);
        return makeRecommender(part, ws, o);
      }),
  },
];

/** The kind of the published model `name`, by the marker file in its version folder. */
function kindOf(ws: Workspace, name: string): (typeof KINDS)[number] | undefined {
  const dir = resolvePublished(ws, name);
  return dir === undefined ? undefined : KINDS.find((k) => existsSync(join(dir, k.marker)));
}

/** Models published in the workspace (names under WORK/models whose version a finished training marked). */
export function trainedModels(ws: Workspace): string[] {
  return publishedNames(ws).filter((name) => kindOf(ws, name));
}

/**
 * The validation NDCG@10 a trained model recorded when it was selected (the projection's best
 * epoch, a sequential model's best epoch, a repeat model's decay, a hybrid's chosen weights);
 * undefined when none was.
 */
export function recordedValidationNdcg10(ws: Workspace, name: string): number | undefined {
  const dir = resolvePublished(ws, name);
  if (dir === undefined) return undefined;
  const best = (values: number[]) => (values.length ? Math.max(...values) : undefined);
  if (existsSync(join(dir, HYBRID_FILE)))
    return best(readJsonFile<HybridSpec>(join(dir, HYBRID_FILE), 'a hybrid').validation.map((v) => v['NDCG@10']));
  if (existsSync(join(dir, REPEAT_FILE))) return best(readRepeatSpec(dir).validation.map((v) => v['NDCG@10']));
  if (existsSync(join(dir, INFO_FILE)))
    return readJsonFile<{ bestValidNdcg10: number }>(join(dir, 'training.json'), 'a training record').bestValidNdcg10;
  if (existsSync(join(dir, 'bundle.json')))
    return best(
      readJsonFile<TrainingRecord>(join(dir, 'training.json'), 'a training record').curves.projection.map(
        (e) => e.validNdcg10,
      ),
    );
  return undefined;
}

/**
 * Which training of a model is published under its name (its version folder, vN) and when it
 * finished. Baselines are refitted on load and have no version.
 */
export function modelVersion(ws: Workspace, name: string): string {
  if (BASELINES[name]) return 'fitted at start';
  const v = publishedVersion(ws, name);
  if (!v) throw new UserError(`no trained model "${name}" in ${ws.dir}`);
  return v.created ? `${v.version} (${v.created})` : v.version;
}

/** The trained model with the best recorded validation NDCG@10 (what serve and recommend use by default). */
export function bestModel(ws: Workspace): { name: string; validationNdcg10: number } {
  const scored = trainedModels(ws).flatMap((name) => {
    const v = recordedValidationNdcg10(ws, name);
    return v === undefined ? [] : [{ name, validationNdcg10: v }];
  });
  if (!scored.length)
    throw new UserError(
      `no trained model with a validation score in ${ws.dir}; train one (r2end train --work ${ws.dir}) or name one with --model`,
    );
  return scored.reduce((a, b) => (b.validationNdcg10 > a.validationNdcg10 ? b : a));
}

/** A recommender by the name `evaluate --recommender` takes: a baseline or a trained model. */
export function makeRecommender(name: string, ws: Workspace, options: MakeOptions = {}): Recommender {
  const baseline = BASELINES[name];
  if (baseline) return baseline();
  // Only names listed in the models folder, so a name is never a path elsewhere.
  const kind = trainedModels(ws).includes(name) && kindOf(ws, name);
  if (kind) return kind.make(ws, name, options);
  const known = [...Object.keys(BASELINES), ...trainedModels(ws)];
  const sequential = SEQUENTIAL_MODELS.find((m) => name.startsWith(m));
  const family = sequential ?? (name.startsWith('repeat') ? 'repeat' : undefined);
  const hint = name.startsWith('r2end')
    ? ` (train it first: r2end train --work ${ws.dir}${name === 'r2end' ? '' : ` --name ${name}`})`
    : family
      ? ` (train it first: r2end train --work ${ws.dir} --model ${family}${name === family ? '' : ` --name ${name}`})`
      : '';
  throw new UserError(`--recommender ${name}: unknown; expected one of ${known.join(', ')}${hint}`);
}
