// A model knows its data: `prepare --force` with the same items in another order removes what was
// built on the old data (and says so), and a model of other data, or one recording none, is one
// clear error on load, never a number computed with misaligned item indices.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';
import { jsonFile, sequentialDataset, tempDir } from '../support/fixtures.js';
import { TINY_R2END_VALUES } from '../support/r2end.js';

/** The same dataset with the items' lines and the interactions' rows in reverse: every index changes. */
function reordered(data: string): string {
  const out = tempDir();
  const lines = (file: string) => readFileSync(join(data, file), 'utf8').trim().split('\n');
  writeFileSync(join(out, 'items.jsonl'), `${lines('items.jsonl').reverse().join('\n')}\n`);
  const [header, ...rows] = lines('interactions.csv');
  writeFileSync(join(out, 'interactions.csv'), `${[header, ...rows.reverse()].join('\n')}\n`);
  return out;
}

/** Exit 2 with one line on stderr matching `pattern`, and no metric on stdout. */
function refused(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr.trim(), pattern);
}

test('prepare --force with reordered items removes the models built on the old data; models of other data are refused', () => {
  const data = sequentialDataset(20);
  const work = tempDir();
  assert.equal(runCli(['prepare', '--data', data, '--work', work, '--kcore', '3']).status, 0);
  assert.equal(runCli(['teach', '--work', work, '--backend', 'template']).status, 0);
  const config = jsonFile(TINY_R2END_VALUES);
  const trained = runCli(['train', '--work', work, '--config', config]);
  assert.equal(trained.status, 0, trained.stderr);
  const sequential = runCli(['train', '--work', work, '--model', 'gru4rec', '--epochs', '1', '--hidden', '8']);
  assert.equal(sequential.status, 0, sequential.stderr);
  assert.equal(runCli(['hybrid', '--work', work, '--parts', 'pop,itemknn', '--step', '0.5']).status, 0);
  for (const name of ['r2end', 'hybrid'])
    assert.equal(runCli(['evaluate', '--work', work, '--recommender', name, '--json']).status, 0);
  assert.equal(runCli(['report', '--work', work]).status, 0);
  const models = tempDir();
  cpSync(join(work, 'models'), models, { recursive: true, verbatimSymlinks: true });

  const replaced = runCli(['prepare', '--data', reordered(data), '--work', work, '--kcore', '3', '--force']);
  assert.equal(replaced.status, 0, replaced.stderr);
  assert.match(
    replaced.stderr,
    /^removed what was built on the replaced data: models gru4rec, hybrid, r2end; 2 stored evaluations; reports report\.html$/m,
  );
  refused(
    ['evaluate', '--work', work, '--recommender', 'r2end'],
    /^r2end: --recommender r2end: unknown; expected one of pop, itemknn \(train it first/,
  );
  refused(['evaluate', '--work', work, '--recommender', 'hybrid'], /^r2end: --recommender hybrid: unknown/);
  refused(['recommend', '--work', work, '--user', 'u3'], /^r2end: no trained model with a validation score in /);
  refused(['recommend', '--work', work, '--model', 'r2end', '--user', 'u3'], /--recommender r2end: unknown/);
  const report = runCli(['report', '--work', work]);
  assert.doesNotMatch(readFileSync(report.stdout.trim(), 'utf8'), /<td>r2end<\/td>/, 'no stale metrics reported');

  // The old models put back, as if copied from another workspace: refused by their fingerprint.
  cpSync(models, join(work, 'models'), { recursive: true, verbatimSymlinks: true });
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const otherData = (name: string, retrain: string) =>
    new RegExp(
      `^r2end: ${literal(`model ${name} was trained on other data than this workspace holds (items or split differ); retrain it with \`${retrain}\``)}$`,
    );
  refused(
    ['evaluate', '--work', work, '--recommender', 'r2end', '--json'],
    otherData('r2end', `r2end train --work ${work}`),
  );
  refused(
    ['recommend', '--work', work, '--model', 'r2end', '--user', 'u3'],
    otherData('r2end', `r2end train --work ${work}`),
  );
  refused(
    ['evaluate', '--work', work, '--recommender', 'gru4rec'],
    otherData('gru4rec', `r2end train --work ${work} --model gru4rec --name gru4rec`),
  );
  refused(
    ['evaluate', '--work', work, '--recommender', 'hybrid'],
    otherData('hybrid', `r2end hybrid --work ${work} --parts pop,itemknn --name hybrid`),
  );

  // A bundle of an older r2end records no fingerprint: refused too.
  const bundleFile = join(work, 'models', 'r2end', 'bundle.json');
  const { fingerprint: _, ...older } = JSON.parse(readFileSync(bundleFile, 'utf8'));
  rmSync(bundleFile);
  writeFileSync(bundleFile, JSON.stringify(older));
  refused(
    ['evaluate', '--work', work, '--recommender', 'r2end'],
    /^r2end: model r2end does not record which data it was trained on \(made by an older r2end\); retrain it with `r2end train --work .*`$/,
  );

  // The retrain it asks for reruns every stage on the new data, and the model loads again.
  const retrained = runCli(['train', '--work', work, '--config', config]);
  assert.equal(retrained.status, 0, retrained.stderr);
  assert.doesNotMatch(retrained.stderr, /done .* skipped/);
  const ev = runCli(['evaluate', '--work', work, '--recommender', 'r2end', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).users, 20);
});
