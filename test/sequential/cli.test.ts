// `r2end train --model sasrec|gru4rec` and `r2end evaluate` through the CLI: files, resume after
// a kill (ending exactly as an uninterrupted run), skipping finished work, one-line errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, runCli } from '../support/cli.js';
import { sequentialDataset, tempDir } from '../support/fixtures.js';

function preparedWorkspace(users = 20): string {
  const work = tempDir();
  const r = runCli(['prepare', '--data', sequentialDataset(users, 8, 8), '--work', work, '--kcore', '3']);
  assert.equal(r.status, 0, r.stderr);
  return work;
}

const SMALL = ['--hidden', '8', '--batch-size', '4', '--max-length', '6'];

test('train --model gru4rec writes a model that evaluate finds by name; a re-run skips it', () => {
  const work = preparedWorkspace();
  const tr = runCli(['train', '--work', work, '--model', 'gru4rec', '--epochs', '3', ...SMALL]);
  assert.equal(tr.status, 0, tr.stderr);
  assert.match(tr.stdout, /^model gru4rec in .* \(gru4rec, loss ce; best validation NDCG@10 [\d.]+ at epoch \d of 3;/);
  const dir = join(work, 'models', 'gru4rec');
  for (const f of ['model.safetensors', 'sequential.json', 'training.json', 'checkpoint.safetensors'])
    assert.ok(existsSync(join(dir, f)), f);
  const record = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'));
  assert.equal(record.curve.length, 3);
  assert.ok(record.curve.every((e: { seconds: number }) => e.seconds > 0));
  const ndcgs = record.curve.map((e: { validNdcg10: number }) => e.validNdcg10);
  assert.equal(record.bestValidNdcg10, Math.max(...ndcgs));
  assert.equal(ndcgs[record.bestEpoch - 1], record.bestValidNdcg10);

  const ev = runCli(['evaluate', '--work', work, '--recommender', 'gru4rec', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const result = JSON.parse(ev.stdout);
  assert.equal(result.users, 20);
  assert.equal(result.about.model, 'GRU4Rec');
  // The saved weights are the best epoch's: evaluating them on validation gives its NDCG@10.
  const valid = runCli(['evaluate', '--work', work, '--recommender', 'gru4rec', '--split', 'valid', '--json']);
  assert.equal(valid.status, 0, valid.stderr);
  const validNdcg = JSON.parse(valid.stdout).metrics['NDCG@10'];
  assert.ok(Math.abs(validNdcg - record.bestValidNdcg10) < 1e-9, `${validNdcg} vs ${record.bestValidNdcg10}`);

  // The report lists it with its training time.
  const rep = runCli(['report', '--work', work]);
  assert.equal(rep.status, 0, rep.stderr);
  const row = /<tr><td>gru4rec<\/td>(.*?)<\/tr>/.exec(readFileSync(rep.stdout.trim(), 'utf8'))?.[1] ?? '';
  const cells = [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  assert.equal(cells.at(-2), record.seconds.toFixed(0), 'training seconds');

  const again = runCli(['train', '--work', work, '--model', 'gru4rec', '--epochs', '3', ...SMALL]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /train: done .* skipped/);
  assert.match(again.stderr, /training was done, the published version stays/);
  assert.match(again.stdout, /\npublished as v1 /);

  const missing = runCli(['evaluate', '--work', work, '--recommender', 'sasrec']);
  assert.equal(missing.status, 2);
  assert.match(
    missing.stderr,
    /^r2end: --recommender sasrec: unknown; expected one of pop, itemknn, gru4rec \(train it first: r2end train --work .* --model sasrec\)\n$/,
  );
});

test('a killed train resumes after its last finished epoch and ends exactly as an uninterrupted run', async () => {
  const flags = ['--model', 'sasrec', '--epochs', '60', '--patience', '60', '--dropout', '0.3', ...SMALL];
  const straight = preparedWorkspace(60);
  assert.equal(runCli(['train', '--work', straight, ...flags]).status, 0);

  const work = preparedWorkspace(60);
  const checkpoint = join(work, 'models', '.sasrec', 'staging', 'checkpoint.safetensors');
  const child = spawn(process.execPath, [CLI, 'train', '--work', work, ...flags], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 120_000;
  while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(join(work, 'models', '.sasrec', 'staging', 'sequential.json')), 'killed before it finished');
  assert.ok(!existsSync(join(work, 'models', 'sasrec')), 'nothing published');
  const resumed = runCli(['train', '--work', work, ...flags]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /sasrec: resuming after epoch \d+/);
  const file = (w: string, f: string) => readFileSync(join(w, 'models', 'sasrec', f));
  assert.ok(file(work, 'model.safetensors').equals(file(straight, 'model.safetensors')), 'same best weights');
  const curve = (w: string) =>
    JSON.parse(file(w, 'training.json').toString()).curve.map((e: { loss: number; validNdcg10: number }) => [
      e.loss,
      e.validNdcg10,
    ]);
  assert.deepEqual(curve(work), curve(straight));
});

test('bad sequential settings give one line naming the flag or field', () => {
  const work = preparedWorkspace();
  const cases: Array<[string[], RegExp]> = [
    [['--model', 'sasrec', '--loss', 'hinge'], /^error: option '--loss <loss>' argument 'hinge' is invalid/],
    [['--model', 'transformer'], /^error: option '--model <model>' argument 'transformer' is invalid/],
    [['--loss', 'ce'], /^r2end: --loss does not apply to --model r2end$/],
    [['--model', 'gru4rec', '--ablation', 'no-reg'], /^r2end: --ablation does not apply to --model gru4rec$/],
    [['--model', 'sasrec', '--dropout', '1.5'], /^r2end: --dropout 1.5: expected a number in \[0, 0.99\]$/],
    [['--model', 'sasrec', '--epochs', '0'], /^r2end: --epochs 0: expected a whole number >= 1$/],
    [
      ['--model', 'sasrec', '--heads', '3'],
      /^r2end: flags: field "heads": SASRec needs blocks and heads, with hidden a multiple of heads$/,
    ],
    [['--model', 'gru4rec', '--blocks', '2'], /^r2end: flags: field "blocks": blocks and heads are SASRec settings$/],
    [['--model', 'sasrec', '--eval-every', '30'], /^r2end: flags: field "evalEvery": must not exceed patience$/],
  ];
  for (const [flags, pattern] of cases) {
    const r = runCli(['train', '--work', work, ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  }
});
