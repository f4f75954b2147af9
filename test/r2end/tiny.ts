import { resolveConfig } from '../../src/r2end/config.js';

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
