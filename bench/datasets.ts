import { sharedDataset } from '../src/util/paths.js';

/** A shared dataset's folder, or a clear failure saying where it was looked for. */
export function datasetDir(name: string): string {
  const dir = sharedDataset(name);
  if (!dir)
    throw new Error(
      `dataset ${name} not found beside the checkout (../shared/datasets); set R2END_DATASETS to the folder holding it`,
    );
  return dir;
}
