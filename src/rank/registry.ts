import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ItemKnnRecommender } from '../baselines/itemknn.js';
import { PopRecommender } from '../baselines/pop.js';
import type { Workspace } from '../data/workspace.js';
import { UserError } from '../util/errors.js';
import { HYBRID_FILE, HybridRecommender } from './hybrid.js';
import { R2ENDRecommender } from './r2end.js';
import type { Recommender } from './recommender.js';

/** Recommenders that need nothing but the training data. */
export const BASELINES: Record<string, () => Recommender> = {
  pop: () => new PopRecommender(),
  itemknn: () => new ItemKnnRecommender(),
};

/** Models trained in the workspace (folders under WORK/models with a bundle or a hybrid). */
export function trainedModels(ws: Workspace): string[] {
  const dir = ws.path('models');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => ['bundle.json', HYBRID_FILE].some((f) => existsSync(join(dir, name, f)))).sort();
}

/** A recommender by the name `evaluate --recommender` takes: a baseline or a trained model. */
export function makeRecommender(name: string, ws: Workspace, device = 'cpu'): Recommender {
  const baseline = BASELINES[name];
  if (baseline) return baseline();
  if (existsSync(ws.path('models', name, HYBRID_FILE))) {
    return HybridRecommender.load(ws, name, (part) => {
      if (part === name) throw new UserError(`hybrid ${name} lists itself as a part`);
      return makeRecommender(part, ws, device);
    });
  }
  if (trainedModels(ws).includes(name)) return new R2ENDRecommender(ws, name, device);
  const known = [...Object.keys(BASELINES), ...trainedModels(ws)];
  throw new UserError(`--recommender ${name}: unknown; expected one of ${known.join(', ')}${name.startsWith('r2end') ? ` (train it first: r2end train --work ${ws.dir}${name === 'r2end' ? '' : ` --name ${name}`})` : ''}`);
}
