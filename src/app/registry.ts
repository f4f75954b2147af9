import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ItemKnnRecommender } from '../baselines/itemknn.js';
import { PopRecommender } from '../baselines/pop.js';
import type { Workspace } from '../data/workspace.js';
import { publishedNames, resolvePublished } from '../io/publish.js';
import { SEQUENTIAL_MODELS } from '../sequential/config.js';
import { INFO_FILE } from '../sequential/net.js';
import { SequentialRecommender } from '../sequential/recommender.js';
import { UserError } from '../util/errors.js';
import { HYBRID_FILE, HybridRecommender } from '../hybrid/hybrid.js';
import { R2ENDRecommender } from '../r2end/recommender.js';
import type { Recommender } from '../rank/recommender.js';

/** Recommenders that need nothing but the training data. */
export const BASELINES: Record<string, () => Recommender> = {
  pop: () => new PopRecommender(),
  itemknn: () => new ItemKnnRecommender(),
};

/** What a finished model folder holds, by the file that marks it: an R2END bundle, a sequential model or a hybrid. */
const KINDS = [
  {
    marker: 'bundle.json',
    make: (ws: Workspace, name: string, device: string): Recommender => new R2ENDRecommender(ws, name, device),
  },
  {
    marker: INFO_FILE,
    make: (ws: Workspace, name: string, device: string): Recommender => new SequentialRecommender(ws, name, device),
  },
  {
    marker: HYBRID_FILE,
    make: (ws: Workspace, name: string, device: string): Recommender =>
      HybridRecommender.load(ws, name, (part) => {
        if (part === name) throw new UserError(`hybrid ${name} lists itself as a part`);
        return makeRecommender(part, ws, device);
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

/** A recommender by the name `evaluate --recommender` takes: a baseline or a trained model. */
export function makeRecommender(name: string, ws: Workspace, device = 'cpu'): Recommender {
  const baseline = BASELINES[name];
  if (baseline) return baseline();
  // Only names listed in the models folder, so a name is never a path elsewhere.
  const kind = trainedModels(ws).includes(name) && kindOf(ws, name);
  if (kind) return kind.make(ws, name, device);
  const known = [...Object.keys(BASELINES), ...trainedModels(ws)];
  const sequential = SEQUENTIAL_MODELS.find((m) => name.startsWith(m));
  const hint = name.startsWith('r2end')
    ? ` (train it first: r2end train --work ${ws.dir}${name === 'r2end' ? '' : ` --name ${name}`})`
    : sequential
      ? ` (train it first: r2end train --work ${ws.dir} --model ${sequential}${name === sequential ? '' : ` --name ${name}`})`
      : '';
  throw new UserError(`--recommender ${name}: unknown; expected one of ${known.join(', ')}${hint}`);
}
