import { R2ENDRecommender } from '../../src/r2end/recommender.js';
import { resolveConfig } from '../../src/r2end/config.js';
import { trainR2END } from '../../src/r2end/train.js';
import { recommenderContract } from '../rank/contract.js';

/** Small enough for CI, every stage of the method still runs. */
export const TINY = resolveConfig([
  {
    source: 'test',
    values: {
      distill: { batchSize: 4, epochs: 1, alignmentUsers: 0 },
      projection: { dim: 32, epochs: 2, batchSize: 8, negatives: 5 },
    },
  },
]);

// Batches pad texts to different lengths, so scores agree to float precision, not bit for bit.
recommenderContract('r2end', (ws) => new R2ENDRecommender(ws, 'r2end'), {
  tolerance: 1e-4,
  train: async (ws, ds) => {
    await trainR2END(ws, ds, TINY, { name: 'r2end', log: () => {}, silent: true });
  },
});
