// Safe publication through the CLI: a retrain with changed settings, SIGKILLed during distill,
// right after a stage and during the projection (while it rewrites projection/), never changes
// what `evaluate` reads: the old model's metrics exactly, until the retrain completes; then the
// new model's, exactly as a retrain that was never interrupted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { CLI, runCli, runCliAsync } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { taughtWorkspace, TINY_R2END_VALUES } from '../support/r2end.js';

const OLD = { ...TINY_R2END_VALUES, distill: { ...TINY_R2END_VALUES.distill, batchSize: 1, epochs: 2 } };
// Long enough a distillation and projection that a kill lands inside them.
const RETRAIN = ['--distill-epochs', '8', '--projection-epochs', '300', '--patience', '300'];

/** What a model's evaluation says, without its timing. */
function scores(stdout: string): unknown {
  const r = JSON.parse(stdout);
  return { metrics: r.metrics, longtail: r.longtail, coverage: r['coverage@10'] };
}

function evaluated(work: string): unknown {
  const ev = runCli(['evaluate', '--work', work, '--recommender', 'r2end', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  return scores(ev.stdout);
}

const stagesDone = (work: string): string[] => {
  try {
    return Object.keys(JSON.parse(readFileSync(join(work, 'models', '.r2end', 'staging', 'stages.json'), 'utf8')));
  } catch {
    return []; // not staged yet, or being replaced
  }
};

test('a retrain killed at any moment leaves the published model as it was; a finished one publishes the new model', async () => {
  const work = taughtWorkspace();
  const config = join(tempDir(), 'config.json');
  writeFileSync(config, JSON.stringify(OLD));
  const args = ['train', '--work', work, '--config', config];
  assert.equal(runCli(args).status, 0);
  const old = evaluated(work);

  // The new model, from a copy of the workspace retrained without interruption.
  const reference = tempDir();
  cpSync(work, reference, { recursive: true, verbatimSymlinks: true });
  const straight = runCli(['train', '--work', reference, '--config', config, ...RETRAIN]);
  assert.equal(straight.status, 0, straight.stderr);
  const fresh = evaluated(reference);
  assert.notDeepEqual(fresh, old, 'the retrain makes another model');

  const v1 = join(work, 'models', '.r2end', 'v1');
  const projection = (dir: string) => statSync(join(dir, 'projection', 'projection.safetensors')).ino;
  const moments: Array<[string, () => boolean]> = [
    // The changed distillation setting invalidated distill and what follows it.
    ['during distill', () => stagesDone(work).join() === 'targets'],
    ['right after the distill stage', () => stagesDone(work).includes('distill')],
    [
      'during the projection, after it rewrote projection/',
      () => {
        const done = stagesDone(work);
        const staging = join(work, 'models', '.r2end', 'staging');
        return done.includes('users') && !done.includes('project') && projection(staging) !== projection(v1);
      },
    ],
  ];
  for (const [moment, reached] of moments) {
    const child = spawn(process.execPath, [CLI, ...args, ...RETRAIN], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 180_000;
    while (!reached() && Date.now() < deadline) await sleep(5);
    if (moment === 'during distill') await sleep(300);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `${moment}: killed before it finished`);
    assert.deepEqual(evaluated(work), old, `${moment}: evaluate reads the old model`);
  }

  // The last run resumes the staging folder; readers meanwhile see the old model or the new one, nothing else.
  const finishing = runCliAsync([...args, ...RETRAIN]);
  let running = true;
  void finishing.then(() => (running = false));
  const seen: unknown[] = [];
  while (running) {
    const ev = await runCliAsync(['evaluate', '--work', work, '--recommender', 'r2end', '--json']);
    assert.equal(ev.status, 0, ev.stderr);
    seen.push(scores(ev.stdout));
  }
  const done = await finishing;
  assert.equal(done.status, 0, done.stderr);
  for (const s of seen)
    assert.ok(
      [old, fresh].some((m) => JSON.stringify(m) === JSON.stringify(s)),
      'old or new',
    );
  for (const stage of ['targets', 'distill', 'alignment', 'items', 'users'])
    assert.match(done.stderr, new RegExp(`${stage}: done .* skipped`), `${stage} resumed, not rerun`);
  assert.match(done.stdout, /published as v2/);
  assert.deepEqual(evaluated(work), fresh, 'the new model, exactly as an uninterrupted retrain');
  const index = (w: string) => readFileSync(join(w, 'models', 'r2end', 'index.safetensors'));
  assert.ok(index(work).equals(index(reference)), 'byte-identical item index');
  assert.deepEqual(readdirSync(join(work, 'models', '.r2end')).sort(), ['v1', 'v2']);
  assert.ok(!existsSync(join(work, 'models', '.r2end', 'staging')));
});
