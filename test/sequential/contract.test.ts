// SASRec and GRU4Rec keep the promises of every recommender (test/rank/contract.ts). Scores of
// one history computed in batches of different shapes may differ in the last float bits.
import { SEQUENTIAL_MODELS } from '../../src/sequential/config.js';
import { SequentialRecommender } from '../../src/sequential/recommender.js';
import { trainSequential } from '../../src/sequential/train.js';
import { recommenderContract } from '../rank/contract.js';
import { tinyConfig } from './support.js';

for (const model of SEQUENTIAL_MODELS) {
  recommenderContract(model, (ws) => new SequentialRecommender(ws, model, 'cpu'), {
    tolerance: 1e-5,
    train: async (ws, ds) => {
      await trainSequential(ws, ds, tinyConfig(model), { name: model, log: () => {}, silent: true });
    },
  });
}
