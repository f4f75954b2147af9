import { R2ENDRecommender } from '../../src/r2end/recommender.js';
import { trainR2END } from '../../src/r2end/train.js';
import { recommenderContract } from '../rank/contract.js';
import { tinyR2END } from '../support/r2end.js';

// Batches pad texts to different lengths, so scores agree to float precision, not bit for bit.
recommenderContract('r2end', (ws) => new R2ENDRecommender(ws, 'r2end'), {
  tolerance: 1e-4,
  train: async (ws, ds) => {
    await trainR2END(ws, ds, tinyR2END(), { name: 'r2end', log: () => {}, silent: true });
  },
});
