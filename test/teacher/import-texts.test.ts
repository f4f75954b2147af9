import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadDataset } from '../../src/data/dataset.js';
import { Workspace } from '../../src/data/workspace.js';
import { importTexts } from '../../src/teacher/import-texts.js';
import { loadTeacherOutputs } from '../../src/teacher/outputs.js';
import { TeacherStore } from '../../src/teacher/store.js';
import { sharedDir } from '../../src/util/paths.js';
import { assertRefused, CLI, runCli } from '../support/cli.js';
import { sharedWorkspace, tempDir } from '../support/fixtures.js';
import { MOVIE_TEXTS_KEPT, movieTexts, movieWorkspace } from '../support/teacher.js';

function file(text: string, name = 'texts.jsonl'): string {
  const f = join(tempDir(), name);
  writeFileSync(f, text);
  return f;
}

const importArgs = (work: string, f: string, ...more: string[]) => [
  'teach',
  '--work',
  work,
  '--import',
  f,
  '--what',
  'reasoning',
  '--teacher-model',
  'films',
  ...more,
];

/** The imported texts of teacher `import` NAME, by user id. */
function stored(work: string, model = 'films'): Record<string, string> {
  const ws = Workspace.open(work);
  const ds = loadDataset(ws);
  const out = loadTeacherOutputs(ws, { backend: 'import', model }, ds);
  ws.close();
  return Object.fromEntries([...out.reasoning].map(([u, text]) => [ds.userIds[u], text]));
}

test('teach --import: counts by reason, stores the rest, prints the JSON object; the same file again changes nothing', () => {
  const work = movieWorkspace();
  const f = file(movieTexts());
  const first = runCli(importArgs(work, f, '--json'));
  assert.equal(first.status, 0, first.stderr);
  assert.equal(
    first.stdout,
    '{"read":22,"imported":15,"refused":{"unknown_id":1,"duplicate":1,"empty":1,"names_held_out_item":4}}\n',
  );
  assert.match(
    first.stderr,
    /refused: line 1: user u0: names the user's held-out validation item "Usual Suspects, The \(1995\)"/,
  );
  assert.match(first.stderr, /refused: line 2: user u1: names the user's held-out validation item "Heat \(1995\)"/);
  assert.match(first.stderr, /\.\.\. and 2 more refused/);
  assert.match(first.stderr, /\n3 of the 4 texts naming a held-out item named it only by a one-word title/);
  assert.deepEqual(stored(work), MOVIE_TEXTS_KEPT);

  const again = runCli(importArgs(work, f));
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    again.stdout,
    'imported texts films (reasoning): read 22, imported 15, refused: unknown id 1, duplicate 1, empty 1, names a held-out item 4 (3 of them by a one-word title); train --teacher-model films learns from them\n',
  );
  assert.deepEqual(stored(work), MOVIE_TEXTS_KEPT);

  // The import is now the workspace's teacher: labelled as imported, not as an LLM.
  const ws = Workspace.open(work);
  const out = loadTeacherOutputs(ws);
  ws.close();
  assert.deepEqual(
    { ...out.teacher },
    { backend: 'import', model: 'films', isLLM: false, mode: 'oracle', keep: 'all', label: 'imported texts films' },
  );
  const status = runCli(['teach', '--work', work, '--status']);
  assert.equal(
    status.stdout,
    'teacher: imported texts films\nreasoning: 20 total, 15 done, 0 failed, 5 pending\nitems:     10 total, 0 done, 0 failed, 10 pending\n',
  );
  const show = runCli(['teach', '--work', work, '--show', 'u6']);
  assert.match(
    show.stdout,
    /\(none: the text was imported\)\n\n--- answer ---\nLoved Fargo and "Star Wars"; more of the same\.\n$/,
  );
});

test('teach --import: a new file replaces the texts of that name and kind; a bad line or nothing to import changes nothing', () => {
  const work = movieWorkspace();
  runCli(importArgs(work, file(movieTexts())));
  const items = runCli([
    ...[
      'teach',
      '--work',
      work,
      '--import',
      file('{"item_id": "m1", "text": "Monkeys and time travel."}\n{"item_id": "m99", "text": "?"}\n'),
    ],
    ...['--what', 'items', '--teacher-model', 'films'],
  ]);
  assert.equal(
    items.stdout,
    'imported texts films (items): read 2, imported 1, refused: unknown id 1, duplicate 0, empty 0, item texts are not checked for held-out items; train --teacher-model films learns from them\n',
  );
  assert.deepEqual(stored(work), MOVIE_TEXTS_KEPT, 'item texts leave the reasoning texts alone');

  const bad = file('{"user_id": "u8", "text": "New text."}\n{"user": "u9", "text": "x"}\n');
  assertRefused(
    runCli(importArgs(work, bad)),
    new RegExp(
      `^r2end: --import ${bad}:2: no field "user_id" \\(expected one \\{"user_id", "text"\\} object per line\\)$`,
    ),
  );
  const notJson = file('{"user_id": "u8", "text": "New text."}\n{"user_id": "u9", "text": \n');
  assertRefused(
    runCli(importArgs(work, notJson)),
    /texts\.jsonl:2: not JSON \(expected one \{"user_id", "text"\} object per line\)$/,
  );
  assertRefused(
    runCli(importArgs(work, file('{"user_id": "u8"}\n'))),
    /texts\.jsonl:1: field "text" must be a string, got none$/,
  );
  assertRefused(
    runCli(importArgs(work, file('{"user_id": "u0", "text": "The Usual Suspects"}\n{"user_id": "x", "text": "y"}\n'))),
    /texts\.jsonl: nothing to import \(2 lines; refused: unknown id 1, duplicate 0, empty 0, names a held-out item 1\); the texts stored as films stay as they were$/,
  );
  assert.deepEqual(stored(work), MOVIE_TEXTS_KEPT);

  const replaced = runCli(
    importArgs(work, file('{"user_id": "u8", "text": "New text."}\n{"user_id": 9, "text": "?"}\n')),
  );
  assert.equal(replaced.status, 0, replaced.stderr);
  assert.match(replaced.stdout, /read 2, imported 1, refused: unknown id 1/);
  assert.deepEqual(stored(work), { u8: 'New text.' });
});

test('a reader sees the texts before an import or after it, never part of one', async () => {
  const work = movieWorkspace();
  runCli(importArgs(work, file(movieTexts())));
  const ws = Workspace.open(work);
  const seenDuring: Array<Record<string, string>> = [];
  await TeacherStore.replaceKind(ws, { backend: 'import', model: 'films' }, 'reasoning', async (put) => {
    put('h1', {
      ...{ kind: 'reasoning', subject: 0, text: 'half', finishReason: 'import' },
      ...{ promptTokens: 0, completionTokens: 0, predictionMatch: null },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    seenDuring.push(stored(work));
  });
  ws.close();
  assert.deepEqual(seenDuring, [MOVIE_TEXTS_KEPT]);
  assert.deepEqual(stored(work), {}, 'after the commit only the new set (keyed h1, which matches no user)');
});

test('an import killed while it holds its transaction leaves the texts from before it', async () => {
  const work = movieWorkspace();
  runCli(importArgs(work, file(movieTexts())));
  // Long enough to be caught midway: 20 new texts, then 300,000 duplicate lines.
  const lines = Array.from({ length: 300_020 }, (_, k) => JSON.stringify({ user_id: `u${k % 20}`, text: `New ${k}` }));
  const child = spawn(process.execPath, [CLI, ...importArgs(work, file(lines.join('\n')))], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const probe = new Database(join(work, Workspace.DB_FILE), { timeout: 0 });
  // The import holds the database's write lock from before its first line until it commits.
  for (;;) {
    try {
      probe.exec('BEGIN IMMEDIATE');
      probe.exec('ROLLBACK');
    } catch {
      break;
    }
    assert.equal(child.exitCode, null, 'the import finished before it was seen holding its transaction');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  probe.close();
  child.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');
  assert.deepEqual(stored(work), MOVIE_TEXTS_KEPT);
});

test('teach --import: flags that do not fit are refused in one line', () => {
  const work = movieWorkspace();
  const f = file(movieTexts());
  const teach = (...args: string[]) => runCli(['teach', '--work', work, ...args]);
  assertRefused(
    teach('--teacher-model', 'films', '--what', 'reasoning'),
    /^r2end: --teacher-model: names the texts of --import FILE; give --import FILE too$/,
  );
  assertRefused(
    teach('--import', f, '--teacher-model', 'films'),
    /^r2end: --what: give reasoning or items, what the --import file holds/,
  );
  assertRefused(
    teach('--import', f, '--teacher-model', 'films', '--what', 'all'),
    /^r2end: --what all: give reasoning or items/,
  );
  assertRefused(
    teach('--import', f, '--teacher-model', 'films', '--what', 'reasoning', '--backend', 'batch'),
    /^r2end: --backend batch: not with --teacher-model, which imports texts/,
  );
  assertRefused(
    teach('--import', f, '--teacher-model', 'films', '--what', 'reasoning', '--limit', '3'),
    /^r2end: --limit: does not apply to an import of texts \(--teacher-model\)$/,
  );
  assertRefused(
    teach('--import', f, '--teacher-model', '../x', '--what', 'reasoning'),
    /^r2end: --teacher-model \.\.\/x: use letters, digits/,
  );
  assertRefused(
    teach('--backend', 'import'),
    /^r2end: --backend import: texts come in with --import FILE --what reasoning\|items --teacher-model NAME$/,
  );
  assertRefused(
    teach('--import', join(tempDir(), 'absent.jsonl'), '--teacher-model', 'films', '--what', 'reasoning'),
    /^r2end: --import .*absent\.jsonl: cannot read \(ENOENT\)$/,
  );
});

test('train --teacher-model NAME finds the one backend storing NAME, and refuses a name stored by none or by two', () => {
  const work = movieWorkspace();
  runCli(importArgs(work, file(movieTexts())));
  assert.equal(runCli(['teach', '--work', work, '--backend', 'template']).status, 0);
  const ws = Workspace.open(work);
  // The last run was the template teacher; the name alone still selects the import.
  assert.equal(loadTeacherOutputs(ws, { model: 'films' }).teacher.label, 'imported texts films');
  assert.equal(loadTeacherOutputs(ws).teacher.label, 'template (not an LLM)');
  assert.throws(
    () => loadTeacherOutputs(ws, { model: 'flims' }),
    /^UserError: teacher model flims: no texts are stored under this name in .* \(stored: import films, template template-v2\)$/,
  );
  TeacherStore.open(ws, { backend: 'batch', model: 'films' }).put('h', {
    ...{ kind: 'reasoning', subject: 0, text: 't', finishReason: 'stop' },
    ...{ promptTokens: 1, completionTokens: 1, predictionMatch: null },
  });
  assert.throws(
    () => loadTeacherOutputs(ws, { model: 'films' }),
    /teacher model films: texts of several teachers are stored under this name \(batch, import\); name the backend too/,
  );
  assert.equal(loadTeacherOutputs(ws, { backend: 'import', model: 'films' }).reasoning.size, 15);
  assert.throws(
    () => loadTeacherOutputs(ws, { backend: 'import', model: 'films', mode: 'unguided' }),
    /teacher import films: imported texts have no unguided mode/,
  );
  ws.close();
});

test('ml100k: the GPT-4 texts about SASRec picks that name a held-out movie are refused, the rest imported', async () => {
  const ws = await sharedWorkspace('ml100k');
  const r = await importTexts(ws, {
    file: join(sharedDir('llm-texts', 'ml100k'), 'gpt4-sasrec.jsonl'),
    what: 'reasoning',
    model: 'gpt4-sasrec',
    silent: true,
  });
  ws.close();
  assert.deepEqual(
    { read: r.read, imported: r.imported, refused: r.refused, oneWordTitle: r.oneWordTitle },
    {
      read: 877,
      imported: 746,
      refused: { unknown_id: 0, duplicate: 0, empty: 0, names_held_out_item: 131 },
      oneWordTitle: 35,
    },
  );
  assert.equal(
    r.examples[0],
    'line 3: user 248: names the user\'s held-out validation item "Mission: Impossible (1996)"',
  );
});
