import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (this file runs from dist/src/util). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A shared dataset: $R2END_DATASETS/<name>, else ../shared/datasets/<name> beside the checkout. */
export function sharedDataset(name: string): string | undefined {
  const roots = [process.env.R2END_DATASETS, join(PACKAGE_ROOT, '..', 'shared', 'datasets')].filter((r): r is string =>
    Boolean(r),
  );
  return roots.map((r) => join(r, name)).find((d) => existsSync(d));
}
