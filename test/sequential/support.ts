// Shared fixtures of the sequential-model tests: a prepared workspace on a "next item" dataset
// and small, fast settings.
import type { Workspace } from '../../src/data/workspace.js';
import type { Dataset } from '../../src/data/dataset.js';
import { resolveSequentialConfig, type SequentialConfig, type SequentialKind } from '../../src/sequential/config.js';
import { SequentialRecommender } from '../../src/sequential/recommender.js';
import { trainSequential } from '../../src/sequential/train.js';
import { preparedWorkspace, sequentialDataset } from '../support/fixtures.js';

/** A prepared workspace where every user walks i0 -> i1 -> ... (mod pool), each from its own start. */
export function sequenceWorkspace(users = 12, pool = 8, perUser = 6): Promise<Workspace> {
  return preparedWorkspace(sequentialDataset(users, pool, perUser));
}

/** Settings small enough for tests; `values` override them. */
export function tinyConfig(model: SequentialKind, values: Record<string, unknown> = {}): SequentialConfig {
  const shape = model === 'sasrec' ? { hidden: 16, blocks: 1, heads: 2 } : { hidden: 16 };
  return resolveSequentialConfig(model, [
    {
      source: 'test',
      values: {
        ...shape,
        dropout: 0.1,
        lr: 0.01,
        batchSize: 8,
        epochs: 5,
        patience: 5,
        evalEvery: 1,
        maxLength: 8,
        precision: 'float32',
        ...values,
      },
    },
  ]);
}

/** Trains model `name` with `cfg` (skipped when it is trained already), then loads it. */
export async function trainedSequential(
  ws: Workspace,
  ds: Dataset,
  name: string,
  cfg: SequentialConfig,
): Promise<SequentialRecommender> {
  await trainSequential(ws, ds, cfg, { name, log: () => {}, silent: true });
  const rec = new SequentialRecommender(ws, name, 'cpu');
  await rec.fit(ds);
  return rec;
}
