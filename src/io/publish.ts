/**
 * Publication of trained models, so that a reader never sees half a model. `W/models/NAME` is a
 * symlink to a complete version folder `W/models/.NAME/vN`. Training writes into
 * `W/models/.NAME/staging` (seeded with hard links to the published version's files, so stages
 * whose settings did not change are reused), and `publish` renames the staging folder to the next
 * version and swaps the link with one rename. A killed training leaves the published version as it
 * was, and the next one resumes the staging folder.
 *
 * Hard links are safe because every stage output is written as a new file (tmp + rename, see
 * writeAtomic) or into a folder the stage removed first, never modified in place.
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from './atomic.js';
import { StageRunner } from './stages.js';

/** What holds the models folder: a workspace. */
export interface ModelRoot {
  path(...parts: string[]): string;
}

export interface ModelVersion {
  name: string;
  /** `v3`; `unversioned` for a folder an older r2end wrote in place (migrated on its next publish). */
  version: string;
  /** The training record's creation time, as given to publish. */
  created?: string;
  /** The version folder every file of the model is read from. */
  dir: string;
}

const STAGING = 'staging';
const VERSION_FILE = 'version.json';
const VERSION = /^v(\d+)$/;

/** `.NAME`: hidden, so model names (which never start with '.') and version folders cannot collide. */
function hiddenDir(root: ModelRoot, name: string): string {
  if (name.startsWith('.') || name.includes('/')) throw new Error(`model name ${name}: starts with '.' or has a '/'`);
  return root.path('models', `.${name}`);
}

/** Version numbers present in `.NAME`, ascending. */
function versions(hidden: string): number[] {
  if (!existsSync(hidden)) return [];
  return readdirSync(hidden)
    .map((entry) => VERSION.exec(entry))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The version number the link `W/models/NAME` points at, if it is such a link. */
function publishedNumber(root: ModelRoot, name: string): number | undefined {
  const link = root.path('models', name);
  if (!lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  const m = VERSION.exec(basename(readlinkSync(link)));
  return m ? Number(m[1]) : undefined;
}

/** Recreates the tree `from` at `to` with hard links (copies where the filesystem refuses links). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) linkTree(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

/** Fills a new staging folder from `seed` (or leaves it empty); seeded beside it, then renamed, so it is whole or absent. */
function createStaging(hidden: string, seed: string | undefined): string {
  const staging = join(hidden, STAGING);
  const tmp = join(hidden, `${STAGING}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  if (seed) linkTree(seed, tmp);
  else mkdirSync(tmp, { recursive: true });
  renameSync(tmp, staging);
  return staging;
}

/**
 * The folder training writes model NAME into: the staging folder a killed run left (resumed), a
 * version whose publication was interrupted (it is complete: taken back and published again), or
 * else a new one seeded from the published version.
 */
export function stagingDir(root: ModelRoot, name: string): string {
  const hidden = hiddenDir(root, name);
  const staging = join(hidden, STAGING);
  if (existsSync(staging)) return staging;
  mkdirSync(hidden, { recursive: true });
  const current = publishedNumber(root, name);
  const legacy = current === undefined && existsSync(root.path('models', name));
  const unpublished = legacy ? undefined : versions(hidden).filter((v) => current === undefined || v > current);
  if (unpublished?.length) {
    renameSync(join(hidden, `v${unpublished.at(-1)}`), staging);
    return staging;
  }
  return createStaging(hidden, resolvePublished(root, name));
}

/**
 * Starts model NAME's staging folder over: empty (`--fresh`, a hybrid computed whole) or seeded
 * from another folder (`--from`). The published version stays until the new one is published.
 */
export function startStaging(root: ModelRoot, name: string, seed?: string): string {
  const hidden = hiddenDir(root, name);
  mkdirSync(hidden, { recursive: true });
  rmSync(join(hidden, STAGING), { recursive: true, force: true });
  return createStaging(hidden, seed);
}

/** Whether model NAME is published or being trained. */
export function modelExists(root: ModelRoot, name: string): boolean {
  return existsSync(root.path('models', name)) || existsSync(hiddenDir(root, name));
}

/**
 * Makes the staging folder of model NAME its next version and points `W/models/NAME` at it with
 * one rename (readers see the old version or the new one); keeps the version before it for
 * readers that resolved it already, and deletes older ones. A real folder from an older r2end
 * becomes a version first.
 */
export function publish(root: ModelRoot, name: string, created: string): ModelVersion {
  const hidden = hiddenDir(root, name);
  const staging = join(hidden, STAGING);
  if (!existsSync(staging)) throw new Error(`publish ${name}: nothing staged in ${staging}`);
  const link = root.path('models', name);
  let previous = publishedNumber(root, name);
  const next = () => Math.max(0, ...versions(hidden)) + 1;
  if (previous === undefined && lstatSync(link, { throwIfNoEntry: false })?.isDirectory()) {
    previous = next();
    renameSync(link, join(hidden, `v${previous}`));
  }
  const n = next();
  const version = `v${n}`;
  writeAtomic(join(staging, VERSION_FILE), `${JSON.stringify({ version, created })}\n`);
  const dir = join(hidden, version);
  renameSync(staging, dir);
  const tmp = join(hidden, 'link');
  rmSync(tmp, { force: true });
  // Relative, so a workspace moved or copied as a whole still resolves.
  symlinkSync(join(basename(hidden), version), tmp);
  renameSync(tmp, link);
  for (const v of versions(hidden))
    if (v !== n && v !== previous) rmSync(join(hidden, `v${v}`), { recursive: true, force: true });
  return { name, version, created, dir };
}

/**
 * Publishes the staging folder of model NAME unless its stages are exactly those of the published
 * version (a run that found every stage done and the outputs as they were): then the staging copy
 * is dropped and the published version stays, so servers do not reload and evaluations of it stay
 * current. Returns whether a new version was published.
 */
export function publishChanged(root: ModelRoot, name: string, created: string): boolean {
  const staging = join(hiddenDir(root, name), STAGING);
  const current = resolvePublished(root, name);
  const stages = (dir: string) => {
    const file = join(dir, StageRunner.FILE);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  const staged = stages(staging);
  const same = current !== undefined && staged !== undefined && staged === stages(current);
  if (!same) publish(root, name, created);
  else rmSync(staging, { recursive: true, force: true });
  return !same;
}

/** The folder of model NAME's published version (the link resolved once), or undefined when none is published. */
export function resolvePublished(root: ModelRoot, name: string): string | undefined {
  if (name.startsWith('.')) return undefined;
  let dir: string;
  try {
    dir = realpathSync(root.path('models', name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return statSync(dir).isDirectory() ? dir : undefined;
}

/** Which version of model NAME is published, and when its record was made; undefined when none is. */
export function modelVersion(root: ModelRoot, name: string): ModelVersion | undefined {
  const dir = resolvePublished(root, name);
  if (!dir) return undefined;
  if (!VERSION.test(basename(dir)) || basename(dirname(dir)) !== `.${name}`)
    return { name, version: 'unversioned', dir };
  const file = join(dir, VERSION_FILE);
  const info = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { created?: string }) : {};
  return { name, version: basename(dir), created: info.created, dir };
}

/** Names of the published models (no staging or version folders), sorted. */
export function publishedNames(root: ModelRoot): string[] {
  const models = root.path('models');
  if (!existsSync(models)) return [];
  return readdirSync(models)
    .filter((name) => !name.startsWith('.') && resolvePublished(root, name) !== undefined)
    .sort();
}

/** Deletes every model, published or being trained; returns their names. */
export function removeModels(root: ModelRoot): string[] {
  const models = root.path('models');
  if (!existsSync(models)) return [];
  const names = new Set(readdirSync(models).map((entry) => entry.replace(/^\./, '')));
  rmSync(models, { recursive: true, force: true });
  return [...names].sort();
}
