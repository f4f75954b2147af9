import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (this file runs from dist/src/util). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What lives in the shared folder beside the checkout, and the variable that can point elsewhere. */
const SHARED = { datasets: 'R2END_DATASETS', models: 'R2END_MODELS', 'llm-texts': 'R2END_LLM_TEXTS' } as const;
export type SharedKind = keyof typeof SHARED;

/** Where shared `kind` folders are looked for, in order: $R2END_DATASETS (or the kind's variable), then ../shared/<kind>. */
function sharedRoots(kind: SharedKind): string[] {
  return [process.env[SHARED[kind]], join(PACKAGE_ROOT, '..', 'shared', kind)].filter((r): r is string => Boolean(r));
}

/** A shared dataset or model folder, or undefined when no root holds it. */
export function findShared(kind: SharedKind, name: string): string | undefined {
  return sharedRoots(kind)
    .map((r) => join(r, name))
    .find((d) => existsSync(d));
}

/** A shared dataset or model folder, or a failure saying where it was looked for. */
export function sharedDir(kind: SharedKind, name: string): string {
  const dir = findShared(kind, name);
  if (!dir)
    throw new Error(
      `${kind.slice(0, -1)} ${name} not found in ${sharedRoots(kind).join(' or ')}; set ${SHARED[kind]} to the folder holding it`,
    );
  return dir;
}
