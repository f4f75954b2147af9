import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench files run from dist/bench). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where the shared datasets are: $R2END_DATASETS, else ../shared/datasets beside the checkout.
 * Benchmarks read data from there; nothing is copied into the repository.
 */
export function datasetDir(name: string): string {
  const root = process.env.R2END_DATASETS ?? join(REPO, '..', 'shared', 'datasets');
  const dir = join(root, name);
  if (!existsSync(dir)) throw new Error(`dataset ${name} not found at ${dir}; set R2END_DATASETS to the folder holding it`);
  return dir;
}
