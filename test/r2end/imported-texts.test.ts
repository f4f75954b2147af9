import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset, trainLength } from '../../src/data/dataset.js';
import { itemText } from '../../src/data/verbalize.js';
import { Workspace } from '../../src/data/workspace.js';
import { loadEncoder } from '../../src/encoder/load.js';
import { loadMatrix } from '../../src/io/matrices.js';
import { FILES } from '../../src/r2end/bundle.js';
import { Explainer } from '../../src/r2end/explanations.js';
import type { TrainingRecord } from '../../src/r2end/record.js';
import { resolveConfig } from '../../src/r2end/config.js';
import { withMetadata } from '../../src/r2end/texts.js';
import { runCli } from '../support/cli.js';
import { cosine, row } from '../support/encoders.js';
import { jsonFile, tempDir } from '../support/fixtures.js';
import { TINY_R2END_VALUES } from '../support/r2end.js';
import { MOVIE_TEXTS_KEPT, movieTexts, movieWorkspace } from '../support/teacher.js';

test('R2END from imported texts: every target is M_target + an accepted text; no text naming a held-out item reaches one', async () => {
  const work = movieWorkspace();
  const file = join(tempDir(), 'texts.jsonl');
  const texts = movieTexts();
  writeFileSync(file, texts);
  const imp = runCli(['teach', '--work', work, '--import', file, '--what', 'reasoning', '--teacher-model', 'films']);
  assert.equal(imp.status, 0, imp.stderr);
  // No teacher named: the import, the last teach run.
  const train = runCli(['train', '--work', work, '--config', jsonFile(TINY_R2END_VALUES), '--precision', 'float32']);
  assert.equal(train.status, 0, train.stderr);
  assert.match(train.stdout, /^model r2end .*\(teacher: imported texts films; encoder: use-lite;/);
  const model = join(work, 'models', 'r2end');
  assert.match(readFileSync(join(model, 'MODEL.md'), 'utf8'), /\| teacher \| imported texts films \|/);

  // Another teacher runs after training: the model's explanations still quote the texts it learned from.
  assert.equal(runCli(['teach', '--work', work, '--backend', 'template']).status, 0);
  const targets = loadMatrix(join(model, FILES.targets), 'targets');
  const users = JSON.parse(targets.metadata.users!) as string[];
  assert.deepEqual([...users].sort(), Object.keys(MOVIE_TEXTS_KEPT).sort());

  // Encode what each target should be, and every imported line's text, with the same frozen encoder.
  const ws = Workspace.open(work);
  const ds = loadDataset(ws);
  const { fields } = resolveConfig([]).verbalize;
  const meta = (id: string) => {
    const u = ds.userIndex.get(id)!;
    return itemText(ds.items[ds.sequences[u][trainLength(ds, u) - 1]], fields);
  };
  // The lines the import refused: u0..u3 name a held-out movie, u4's is empty, u5's second line.
  const refused = texts
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { user_id: string; text: string })
    .filter((l) => ds.userIndex.has(l.user_id) && MOVIE_TEXTS_KEPT[l.user_id] !== l.text);
  assert.deepEqual(
    refused.map((l) => l.user_id),
    ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'],
  );
  const record = JSON.parse(readFileSync(join(model, 'training.json'), 'utf8')) as TrainingRecord;
  const explained = await Explainer.load(ws, ds, model, record)!.explain(targets.data, 1);
  ws.close();
  const enc = loadEncoder('use-lite', { precision: 'float32' });
  const expected = await enc.encode(users.map((id) => withMetadata(meta(id), MOVIE_TEXTS_KEPT[id])));
  const leaked = await enc.encode(refused.map((l) => withMetadata(meta(l.user_id), l.text)));
  for (let r = 0; r < users.length; r++) {
    const target = row(targets.data, r, targets.cols);
    assert.ok(cosine(target, row(expected, r, targets.cols)) > 0.99999, users[r]);
    assert.equal(explained[r][0].text, MOVIE_TEXTS_KEPT[users[r]]);
    refused.forEach((l, k) =>
      assert.ok(
        cosine(target, row(leaked, k, targets.cols)) < 0.99,
        `${users[r]}'s target vs ${l.user_id}'s refused text`,
      ),
    );
  }

  // A new import under the same name replaces the texts, and training again learns from the new ones.
  writeFileSync(
    file,
    ['u0', 'u9'].map((id) => JSON.stringify({ user_id: id, text: `New text for ${id}.` })).join('\n'),
  );
  assert.equal(
    runCli(['teach', '--work', work, '--import', file, '--what', 'reasoning', '--teacher-model', 'films']).status,
    0,
  );
  const again = runCli([
    'train',
    '--work',
    work,
    '--teacher-model',
    'films',
    '--config',
    jsonFile(TINY_R2END_VALUES),
    '--precision',
    'float32',
  ]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /targets: settings changed since it ran/);
  const retrained = loadMatrix(join(model, FILES.targets), 'targets');
  assert.deepEqual(JSON.parse(retrained.metadata.users!), ['u0', 'u9']);
});
