import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/dataset.js';
import { Workspace } from '../../src/data/workspace.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { R2ENDRecommender } from '../../src/r2end/recommender.js';
import { CLI, runCli } from '../support/cli.js';
import { jsonFile } from '../support/fixtures.js';
import { taughtWorkspace, TINY_R2END_VALUES } from '../support/r2end.js';

test('train, evaluate, recommend and report on a tiny fixture, end to end through the CLI', async () => {
  const work = taughtWorkspace();
  const tr = runCli(['train', '--work', work, '--config', jsonFile(TINY_R2END_VALUES)]);
  assert.equal(tr.status, 0, tr.stderr);
  assert.match(tr.stdout, /model r2end .*teacher: template \(not an LLM\)/);
  assert.match(tr.stdout, /\npublished as v1 \(.*\/models\/\.r2end\/v1\)\n/);
  const model = join(work, 'models', 'r2end');
  for (const f of [
    'bundle.json',
    'training.json',
    'MODEL.md',
    'index.safetensors',
    'student/model.safetensors',
    'projection/projection.safetensors',
  ])
    assert.ok(existsSync(join(model, f)), f);
  const record = JSON.parse(readFileSync(join(model, 'training.json'), 'utf8'));
  assert.equal(record.teacher.isLLM, false);
  assert.equal(record.curves.projection.length, 2);
  // At most alignmentUsers, at most 5% of the candidates: 20 users -> 1.
  assert.equal(record.alignment.users, 1);
  assert.match(readFileSync(join(model, 'MODEL.md'), 'utf8'), /template \(not an LLM\)/);

  const ev = runCli(['evaluate', '--work', work, '--recommender', 'r2end', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const result = JSON.parse(ev.stdout);
  assert.equal(result.users, 20);
  assert.equal(result.about.teacher, 'template (not an LLM)');
  // The CLI ranks the test split of every user with the trained model, as the evaluator does in-process.
  const ws = Workspace.open(work);
  const ds = loadDataset(ws);
  const direct = new R2ENDRecommender(ws, 'r2end');
  await direct.fit(ds);
  const expected = await evaluate(direct, ds, { split: 'test', silent: true });
  ws.close();
  assert.equal(result.items, ds.items.length);
  assert.deepEqual(Object.keys(result.metrics).sort(), Object.keys(expected.metrics).sort());
  for (const [metric, value] of Object.entries(expected.metrics))
    assert.ok(
      Math.abs(result.metrics[metric] - value) < 1e-9,
      `${metric}: CLI ${result.metrics[metric]}, in-process ${value}`,
    );

  const rec = runCli(['recommend', '--work', work, '--user', 'u3', '-k', '4', '--json']);
  assert.equal(rec.status, 0, rec.stderr);
  const items = JSON.parse(rec.stdout).items;
  assert.equal(items.length, 4);
  assert.ok(
    items.every(
      (it: { item_id: string; title: string; score: number }) =>
        it.item_id.startsWith('i') && it.title.startsWith('Item') && typeof it.score === 'number',
    ),
  );
  assert.ok(items[0].score >= items[3].score);

  // An ablation trains as its own model beside the first.
  const ab = runCli(['train', '--work', work, '--config', jsonFile(TINY_R2END_VALUES), '--ablation', 'no-projection']);
  assert.equal(ab.status, 0, ab.stderr);
  assert.ok(existsSync(join(work, 'models', 'r2end-no-projection', 'bundle.json')));

  const rep = runCli(['report', '--work', work]);
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(rep.stdout.trim(), 'utf8');
  assert.match(html, /Model r2end/);
  assert.match(html, /Cosine similarity to the reasoning target/);
});

test('a killed train resumes from the last finished stage', async () => {
  const work = taughtWorkspace();
  // Enough distillation steps that the kill lands inside the distill stage.
  const config = jsonFile({
    ...TINY_R2END_VALUES,
    distill: { ...TINY_R2END_VALUES.distill, batchSize: 1, epochs: 30 },
  });
  // Training writes into the staging folder; models/r2end appears when it publishes.
  const stages = join(work, 'models', '.r2end', 'staging', 'stages.json');
  const child = spawn(process.execPath, [CLI, 'train', '--work', work, '--config', config], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 120_000;
  while (!existsSync(stages) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  child.kill('SIGKILL');
  await exited;
  const done = JSON.parse(readFileSync(stages, 'utf8'));
  assert.deepEqual(Object.keys(done), ['targets'], 'killed after targets, during distill');
  assert.ok(!existsSync(join(work, 'models', 'r2end')), 'nothing published');
  const again = runCli(['train', '--work', work, '--config', config]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /targets: done .* skipped/);
  assert.doesNotMatch(again.stderr, /distill: done/);
  assert.ok(existsSync(join(work, 'models', 'r2end', 'bundle.json')));
  // A rerun that finds every stage done publishes nothing new: readers and evaluations stay current.
  const same = runCli(['train', '--work', work, '--config', config]);
  assert.equal(same.status, 0, same.stderr);
  assert.match(same.stderr, /every stage was done, the published version stays/);
  assert.match(same.stdout, /\npublished as v1 /);
  // Changed settings rerun the first affected stage and everything after it, nothing before.
  const changed = runCli(['train', '--work', work, '--config', config, '--projection-epochs', '1']);
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stderr, /distill: done .* skipped/);
  assert.match(changed.stderr, /project: settings changed since it ran; running again: project, bundle/);
  assert.equal(
    JSON.parse(readFileSync(join(work, 'models', 'r2end', 'training.json'), 'utf8')).curves.projection.length,
    1,
  );
  // A distillation setting reruns the distillation but keeps the reasoning targets.
  const relearned = runCli([
    'train',
    '--work',
    work,
    '--config',
    config,
    '--name',
    'r2end-lr',
    '--from',
    'r2end',
    '--lr',
    '2e-5',
  ]);
  assert.equal(relearned.status, 0, relearned.stderr);
  assert.match(relearned.stderr, /targets: done .* skipped/);
  assert.match(relearned.stderr, /distill: settings changed since it ran; running again: distill,/);
  // A sweep starts from another model's stages: only what differs runs, under the new name.
  const swept = runCli([
    'train',
    '--work',
    work,
    '--config',
    config,
    '--name',
    'r2end-p2',
    '--from',
    'r2end',
    '--projection-epochs',
    '2',
    '--patience',
    '7',
    '--negatives',
    'all',
    '--projection-lr',
    '3e-4',
    '--projection-precision',
    'bfloat16',
  ]);
  assert.equal(swept.status, 0, swept.stderr);
  assert.match(swept.stderr, /users: done .* skipped/);
  assert.match(swept.stderr, /project: settings changed since it ran; running again: project, bundle/);
  const record = JSON.parse(readFileSync(join(work, 'models', 'r2end-p2', 'training.json'), 'utf8'));
  assert.equal(record.model, 'r2end-p2');
  assert.equal(record.curves.projection.length, 2);
  assert.equal(record.config.projection.patience, 7, '--patience reaches the projection');
  assert.equal(record.config.projection.negatives, 'all');
  assert.equal(record.config.projection.lr, 3e-4);
  assert.equal(record.config.projection.precision, 'bfloat16');
  const again2 = runCli(['train', '--work', work, '--config', config, '--name', 'r2end-p2', '--from', 'r2end']);
  assert.equal(again2.status, 2);
  assert.match(again2.stderr, /--from r2end: model r2end-p2 already exists/);
});

test('bad training settings give one line naming the flag or field', () => {
  const work = taughtWorkspace();
  const cases: Array<[string[], RegExp]> = [
    [['--lr', '-1'], /^r2end: --lr -1: expected a number/],
    [['--patience', '0'], /^r2end: --patience 0: expected a whole number >= 1$/],
    [['--ratio', '1.5'], /^r2end: --ratio 1.5: expected a number in \(0, 1\]|^r2end: --ratio 1.5: expected a number/],
    [['--encoder', 'no-such-encoder'], /^r2end: --encoder no-such-encoder: expected use-lite or a model directory/],
    [['--config', jsonFile({ distill: { lr: -0.1 } })], /^r2end: --config .*: field "distill.lr": /],
    [['--config', jsonFile({ projection: { tau: 'warm' } })], /^r2end: --config .*: field "projection.tau": /],
    [['--negatives', 'many'], /^r2end: --negatives many: expected a whole number >= 1 or 'all'$/],
    [
      ['--config', jsonFile({ projection: { negatives: 'all', negativeSharing: 'per-user' } })],
      /^r2end: --config .*: field "projection.negatives": negatives "all" needs negativeSharing "shared"/,
    ],
    [
      ['--config', jsonFile({ projection: { precision: 'half' } })],
      /^r2end: --config .*: field "projection.precision": /,
    ],
    [['--ablation', 'everything'], /^error: option '--ablation <what>' argument 'everything' is invalid/],
  ];
  for (const [flags, pattern] of cases) {
    const r = runCli(['train', '--work', work, ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  }
});
