import { R2ENDRecommender } from '../../src/rank/r2end.js';
import { resolveConfig } from '../../src/train/config.js';
import { recommenderContract } from './contract.js';

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
recommenderContract('r2end', (ws) => new R2ENDRecommender(ws, 'r2end', 'cpu', TINY), { tolerance: 1e-4 });
