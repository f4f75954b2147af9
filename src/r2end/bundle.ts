import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../util/json-file.js';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import type { TrainingRecord } from './record.js';

/**
 * The files of a trained R2END model folder (WORK/models/NAME), written by `r2end train`:
 * what inference loads (bundle.json, the student, the projection, the item index) and what
 * training, reports and explanations read besides.
 */
export const FILES = {
  bundle: 'bundle.json',
  record: 'training.json',
  card: 'MODEL.md',
  student: 'student',
  projection: 'projection',
  /** Normalised z_i of every item: what recommendations rank by. */
  index: 'index.safetensors',
  /** The item id of each row of the index. */
  itemIds: 'item_ids.json',
  /** e_i of every item from the frozen encoder (before the projection). */
  items: 'items.safetensors',
  /** e_u^R of the distilled and held-out users; metadata `users` lists their ids in row order. */
  targets: 'targets.safetensors',
  users: 'users.safetensors',
  alignment: 'alignment.json',
  distillCurve: 'distill-curve.json',
  projectionCurve: 'projection-curve.json',
} as const;

/** What a trained R2END model folder holds besides weights (`bundle.json`). */
export interface BundleInfo {
  /** `student` (fine-tuned, in ./student) or the pretrained encoder's spec. */
  encoder: string;
  maxTokens?: number;
  projection: boolean;
  verbalize: TrainConfig['verbalize'];
  dataset: string;
  /** datasetFingerprint of the data trained on (absent in bundles of an older r2end). */
  fingerprint?: string;
  items: number;
  dim: number;
}

/** A finished model's bundle and training record; one clear error when the model is not there. */
export function readBundle(dir: string, name: string, work: string): { bundle: BundleInfo; record: TrainingRecord } {
  const file = join(dir, FILES.bundle);
  if (!existsSync(file))
    throw new UserError(
      `no trained model "${name}" in ${work} (expected ${file}); run \`r2end train --work ${work}${name === 'r2end' ? '' : ` --name ${name}`}\``,
    );
  return {
    bundle: readJsonFile<BundleInfo>(file, 'the model bundle'),
    record: readJsonFile<TrainingRecord>(join(dir, FILES.record), 'the training record'),
  };
}
