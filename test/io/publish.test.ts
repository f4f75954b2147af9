// Publication of models: staging seeded with hard links, versions behind one symlink swapped by
// rename, the version before kept and older ones pruned, a real folder from an older r2end
// migrated, an interrupted publication or seeding recovered; only published names are listed.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainedModels } from '../../src/app/registry.js';
import { Workspace } from '../../src/data/workspace.js';
import { writeAtomic } from '../../src/io/atomic.js';
import {
  modelExists,
  modelVersion,
  publish,
  publishChanged,
  publishedNames,
  removeModels,
  resolvePublished,
  stagingDir,
  startStaging,
} from '../../src/io/publish.js';
import { tempDir } from '../support/fixtures.js';

function workspace(): Workspace {
  return Workspace.open(tempDir(), { create: true });
}

/** What a training writes: a marker the registry knows a model by, and a weights file in a subfolder. */
function writeModel(dir: string, weights: string): void {
  writeAtomic(join(dir, 'bundle.json'), '{}\n');
  mkdirSync(join(dir, 'projection'), { recursive: true });
  writeAtomic(join(dir, 'projection', 'weights'), weights);
}

const read = (dir: string) => readFileSync(join(dir, 'projection', 'weights'), 'utf8');

test('a model is published as versions behind one link; staging reuses the published files by hard links', () => {
  const ws = workspace();
  try {
    assert.equal(resolvePublished(ws, 'm'), undefined);
    const first = stagingDir(ws, 'm');
    assert.deepEqual(readdirSync(first), [], 'nothing published: an empty staging folder');
    writeModel(first, 'one');
    assert.deepEqual(trainedModels(ws), [], 'a staging folder is not a model');
    const v1 = publish(ws, 'm', '2025-01-01T00:00:00.000Z');
    assert.equal(v1.version, 'v1');
    assert.ok(lstatSync(ws.path('models', 'm')).isSymbolicLink());
    assert.equal(readlinkSync(ws.path('models', 'm')), join('.m', 'v1'), 'relative, so a moved workspace resolves');
    assert.equal(resolvePublished(ws, 'm'), v1.dir);
    assert.deepEqual(modelVersion(ws, 'm'), {
      name: 'm',
      version: 'v1',
      created: '2025-01-01T00:00:00.000Z',
      dir: v1.dir,
    });

    // A retrain: the staging folder starts as the published version, file by file the same inodes.
    const second = stagingDir(ws, 'm');
    const inode = (dir: string) => statSync(join(dir, 'projection', 'weights')).ino;
    assert.equal(inode(second), inode(v1.dir));
    writeModel(second, 'two');
    assert.equal(read(v1.dir), 'one', 'a rewrite in staging leaves the published file alone');
    assert.equal(read(ws.path('models', 'm')), 'one');
    assert.equal(stagingDir(ws, 'm'), second, 'a killed run resumes the same staging folder');
    assert.equal(read(second), 'two');
    assert.deepEqual(trainedModels(ws), ['m']);
    assert.deepEqual(publishedNames(ws), ['m']);

    const v2 = publish(ws, 'm', '2025-01-02T00:00:00.000Z');
    assert.equal(v2.version, 'v2');
    assert.equal(read(ws.path('models', 'm')), 'two');
    assert.equal(read(v1.dir), 'one', 'the version before stays for readers that resolved it');
    writeModel(stagingDir(ws, 'm'), 'three');
    assert.equal(publish(ws, 'm', '2025-01-03T00:00:00.000Z').version, 'v3');
    assert.deepEqual(readdirSync(ws.path('models', '.m')).sort(), ['v2', 'v3'], 'older versions pruned');
    assert.deepEqual(readdirSync(ws.path('models')).sort(), ['.m', 'm']);
    assert.deepEqual(trainedModels(ws), ['m'], 'only names, no staging or version folders');
  } finally {
    ws.close();
  }
});

test('a run whose stages are those of the published version publishes nothing; one that changed a stage publishes', () => {
  const ws = workspace();
  try {
    const stages = (dir: string, text: string) => writeAtomic(join(dir, 'stages.json'), text);
    const first = stagingDir(ws, 'm');
    writeModel(first, 'one');
    stages(first, '{"train":{"key":"a"}}');
    assert.equal(publishChanged(ws, 'm', '2025-01-01T00:00:00.000Z'), true, 'nothing published yet');

    // Every stage found done: the record is rewritten, the stages are not.
    const rerun = stagingDir(ws, 'm');
    writeAtomic(join(rerun, 'training.json'), '{"created":"2025-01-02T00:00:00.000Z"}');
    assert.equal(publishChanged(ws, 'm', '2025-01-02T00:00:00.000Z'), false);
    assert.deepEqual(modelVersion(ws, 'm'), {
      name: 'm',
      version: 'v1',
      created: '2025-01-01T00:00:00.000Z',
      dir: join(ws.path('models', '.m'), 'v1'),
    });
    assert.deepEqual(readdirSync(ws.path('models', '.m')), ['v1'], 'the staging copy is gone');

    const changed = stagingDir(ws, 'm');
    writeModel(changed, 'two');
    stages(changed, '{"train":{"key":"b"}}');
    assert.equal(publishChanged(ws, 'm', '2025-01-03T00:00:00.000Z'), true);
    assert.equal(modelVersion(ws, 'm')?.version, 'v2');
    assert.equal(read(ws.path('models', 'm')), 'two');
  } finally {
    ws.close();
  }
});

test('a real model folder of an older r2end is read in place and becomes a version on its first publish', () => {
  const ws = workspace();
  try {
    const legacy = ws.path('models', 'old');
    mkdirSync(legacy, { recursive: true });
    writeModel(legacy, 'legacy');
    writeFileSync(join(legacy, 'stages.json'), '{}\n');
    assert.deepEqual(trainedModels(ws), ['old']);
    assert.equal(resolvePublished(ws, 'old'), legacy);
    assert.equal(modelVersion(ws, 'old')?.version, 'unversioned');

    const staging = stagingDir(ws, 'old');
    assert.equal(read(staging), 'legacy', 'seeded from the real folder');
    assert.ok(existsSync(join(staging, 'stages.json')));
    writeModel(staging, 'new');
    assert.equal(read(legacy), 'legacy');
    const v = publish(ws, 'old', '2025-02-01T00:00:00.000Z');
    assert.equal(v.version, 'v2');
    assert.ok(lstatSync(legacy).isSymbolicLink(), 'the folder became a link');
    assert.equal(read(legacy), 'new');
    assert.equal(read(ws.path('models', '.old', 'v1')), 'legacy', 'the old folder is the version before');
    writeModel(stagingDir(ws, 'old'), 'newer');
    publish(ws, 'old', '2025-02-02T00:00:00.000Z');
    assert.deepEqual(readdirSync(ws.path('models', '.old')).sort(), ['v2', 'v3']);
    assert.deepEqual(trainedModels(ws), ['old']);
  } finally {
    ws.close();
  }
});

test('an interrupted publication is taken back and published again; an interrupted seeding is started over', () => {
  const ws = workspace();
  try {
    writeModel(stagingDir(ws, 'm'), 'one');
    publish(ws, 'm', '2025-03-01T00:00:00.000Z');
    writeModel(stagingDir(ws, 'm'), 'two');
    // Killed between renaming the staging folder to v2 and swapping the link: v1 is still published.
    const hidden = ws.path('models', '.m');
    writeAtomic(join(hidden, 'link'), 'a leftover');
    renameSync(join(hidden, 'staging'), join(hidden, 'v2'));
    assert.equal(read(ws.path('models', 'm')), 'one');
    const taken = stagingDir(ws, 'm');
    assert.equal(read(taken), 'two', 'the finished version is the staging folder again');
    assert.equal(publish(ws, 'm', '2025-03-02T00:00:00.000Z').version, 'v2');
    assert.equal(read(ws.path('models', 'm')), 'two');

    // Killed while seeding: the half-made folder is not a staging folder.
    mkdirSync(join(hidden, 'staging.tmp'));
    writeFileSync(join(hidden, 'staging.tmp', 'stages.json'), '{"everything": "done"}');
    const seeded = stagingDir(ws, 'm');
    assert.equal(read(seeded), 'two');
    assert.ok(!existsSync(join(hidden, 'staging.tmp')));
    assert.ok(!existsSync(join(seeded, 'stages.json')), 'seeded from the published version only');
  } finally {
    ws.close();
  }
});

test('startStaging starts over (empty or from another folder); removeModels names what it deleted', () => {
  const ws = workspace();
  try {
    writeModel(stagingDir(ws, 'a'), 'a');
    publish(ws, 'a', '2025-04-01T00:00:00.000Z');
    writeModel(stagingDir(ws, 'a'), 'unfinished');
    assert.deepEqual(readdirSync(startStaging(ws, 'a')), [], '--fresh: empty, the published version untouched');
    assert.equal(read(ws.path('models', 'a')), 'a');
    const b = startStaging(ws, 'b', resolvePublished(ws, 'a'));
    assert.equal(read(b), 'a');
    assert.ok(modelExists(ws, 'b'), 'a model being trained exists');
    assert.ok(!modelExists(ws, 'c'));
    assert.deepEqual(trainedModels(ws), ['a']);
    assert.deepEqual(removeModels(ws), ['a', 'b']);
    assert.ok(!existsSync(ws.path('models')));
    assert.deepEqual(removeModels(ws), []);
  } finally {
    ws.close();
  }
});
