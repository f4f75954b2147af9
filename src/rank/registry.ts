import { ItemKnnRecommender } from '../baselines/itemknn.js';
import { PopRecommender } from '../baselines/pop.js';
import type { Recommender } from './recommender.js';

/** Recommenders by the name `evaluate --recommender` takes. */
export const RECOMMENDERS: Record<string, () => Recommender> = {
  pop: () => new PopRecommender(),
  itemknn: () => new ItemKnnRecommender(),
};
