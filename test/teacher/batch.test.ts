import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Workspace } from '../../src/data/workspace.js';
import { exportBatch, importBatch } from '../../src/teacher/batch.js';
import { planJobs, promptSettings } from '../../src/teacher/config.js';
import { HeldOutGuard } from '../../src/teacher/held-out-guard.js';
import { loadTeacherOutputs } from '../../src/teacher/outputs.js';
import { TeacherStore } from '../../src/teacher/store.js';
import { UserError } from '../../src/util/errors.js';
import { fakeAnswer } from '../../testing/fake-openai.js';
import { runCliAsync } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { leakFixture, teachConfig, viewOf } from '../support/teacher.js';

interface BatchLine {
  custom_id: string;
  method: string;
  url: string;
  body: { model: string; messages: Array<{ role: string; content: string }>; temperature: number; max_tokens: number };
}

function readLines(file: string): BatchLine[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BatchLine);
}

/** A batch result line as OpenAI's Batch API (and vLLM's run_batch) write them. */
function result(line: BatchLine, content: string, finish = 'stop'): string {
  return JSON.stringify({
    id: `r-${line.custom_id.slice(0, 6)}`,
    custom_id: line.custom_id,
    response: {
      status_code: 200,
      body: {
        object: 'chat.completion',
        model: line.body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
        usage: { prompt_tokens: 10, completion_tokens: 20 },
      },
    },
    error: null,
  });
}

test('batch backend: export pending prompts, import results; failures recorded, unknown lines counted', async () => {
  const ws = await leakFixture();
  const view = viewOf(ws);
  const c = teachConfig({ backend: 'batch', model: 'gemma-3-27b' });
  const s = promptSettings(c, view);
  const plan = planJobs(view, c, s);
  const jobs = [...plan.reasoning, ...plan.items];
  const store = TeacherStore.open(ws, { backend: 'batch', model: c.model });
  const dir = tempDir();
  const exported = exportBatch(join(dir, 'in.jsonl'), jobs, store, s);
  const lines = readLines(join(dir, 'in.jsonl'));
  assert.equal(exported.written, lines.length);
  assert.equal(lines.length, new Set(jobs.map((j) => j.hash)).size);
  assert.deepEqual(Object.keys(lines[0]), ['custom_id', 'method', 'url', 'body']);
  assert.equal(lines[0].url, '/v1/chat/completions');
  assert.deepEqual(
    { ...lines[0].body, messages: undefined },
    { model: 'gemma-3-27b', messages: undefined, temperature: 0, max_tokens: 1024 },
  );

  const results = [
    JSON.stringify({ custom_id: lines[0].custom_id, response: null, error: { code: 'server_error', message: 'boom' } }),
    JSON.stringify({ custom_id: lines[1].custom_id, response: { status_code: 500, body: {} }, error: null }),
    result(lines[2], 'The user’s preferences related to the target item are as', 'length'),
    ...lines.slice(3).map((l) => result(l, fakeAnswer(l.body.messages[0].content))),
    '',
    result({ ...lines[3], custom_id: 'not-a-prompt-of-ours' }, 'x'),
  ];
  writeFileSync(join(dir, 'out.jsonl'), results.join('\n'));
  const first = await importBatch(join(dir, 'out.jsonl'), jobs, store, new HeldOutGuard(view.ds));
  assert.deepEqual(
    { ...first, heldOut: first.heldOut.describe(), failures: first.failures.map((f) => f.reason) },
    {
      stored: lines.length - 3,
      failed: 3,
      heldOut: '0 named a held-out item (0 of them by a one-word title)',
      alreadyDone: 0,
      unknown: 1,
      failures: [
        'batch error: {"code":"server_error","message":"boom"}',
        'HTTP 500',
        'answer cut off (finish_reason: length); raise --max-tokens',
      ],
    },
  );

  // Only the failed prompts are pending now; importing the same file again changes nothing else.
  assert.equal(exportBatch(join(dir, 'again.jsonl'), jobs, store, s).written, 3);
  const second = await importBatch(join(dir, 'out.jsonl'), jobs, store, new HeldOutGuard(view.ds));
  assert.equal(second.alreadyDone, lines.length - 3);
  assert.equal(store.failure(lines[1].custom_id)?.attempts, 2);

  const out = loadTeacherOutputs(ws, { backend: 'batch', model: 'gemma-3-27b' });
  assert.equal(out.teacher.label, 'LLM gemma-3-27b (batch import)');
  assert.equal(out.teacher.isLLM, true);
  const failedSubjects = new Set(
    jobs.filter((j) => lines.slice(0, 3).some((l) => l.custom_id === j.hash)).map((j) => `${j.kind}:${j.subject}`),
  );
  for (const j of jobs) {
    const got = j.kind === 'reasoning' ? out.reasoning.get(j.subject) : out.descriptions.get(j.subject);
    assert.equal(got, failedSubjects.has(`${j.kind}:${j.subject}`) ? undefined : fakeAnswer(j.prompt));
  }

  writeFileSync(join(dir, 'bad.jsonl'), `${results[3]}\n{"id": 1}\n`);
  await assert.rejects(
    importBatch(join(dir, 'bad.jsonl'), jobs, store, new HeldOutGuard(view.ds)),
    (e: unknown) => e instanceof UserError && /bad\.jsonl:2: not an OpenAI batch result line/.test(e.message),
  );
  ws.close();
});

test('unguided mode: candidates instead of the target; keep all or only matching predictions', async () => {
  const ws = await leakFixture();
  const view = viewOf(ws);
  const c = teachConfig({ backend: 'batch', model: 'm', mode: 'unguided', candidates: 2, what: 'reasoning' });
  const s = promptSettings(c, view);
  const { reasoning } = planJobs(view, c, s);
  assert.equal(reasoning.length, 10);
  for (const j of reasoning) {
    assert.equal(j.kind, 'unguided');
    assert.doesNotMatch(j.prompt, /### Target Item/);
    const seq = view.ds.sequences[j.subject];
    const target = view.ds.items[seq[seq.length - 3]].title;
    const candidates = j.prompt.split('### Candidate Items:\n')[1].split('\n\n')[0].split('\n');
    assert.equal(candidates.length, 2);
    assert.match(candidates[j.answer! - 1], new RegExp(`^\\[${j.answer}\\] ${target} `));
  }
  assert.ok(
    reasoning.some((j) => j.answer === 1) && reasoning.some((j) => j.answer === 2),
    'the true item is not always first',
  );

  const store = TeacherStore.open(ws, { backend: 'batch', model: 'm' });
  const dir = tempDir();
  exportBatch(join(dir, 'in.jsonl'), reasoning, store, s);
  // The fake model always predicts candidate 1.
  writeFileSync(
    join(dir, 'out.jsonl'),
    readLines(join(dir, 'in.jsonl'))
      .map((l) => result(l, fakeAnswer(l.body.messages[0].content)))
      .join('\n'),
  );
  const r = await importBatch(join(dir, 'out.jsonl'), reasoning, store, new HeldOutGuard(view.ds));
  assert.equal(r.stored + r.alreadyDone, new Set(reasoning.map((j) => j.hash)).size);

  ws.setMeta('teacher', c);
  const all = loadTeacherOutputs(ws, { backend: 'batch', model: 'm', mode: 'unguided' });
  assert.equal(all.reasoning.size, 10);
  for (const text of all.reasoning.values())
    assert.match(text, /^The user’s preferences are as follows: unguided reasoning [0-9a-f]+\.$/);
  const matching = loadTeacherOutputs(ws, { backend: 'batch', model: 'm', mode: 'unguided', keep: 'matching' });
  assert.deepEqual(
    [...matching.reasoning.keys()].sort(),
    reasoning
      .filter((j) => j.answer === 1)
      .map((j) => j.subject)
      .sort(),
  );
  assert.equal(matching.teacher.label, 'LLM m (batch import), unguided, matching predictions only');
  ws.close();
});

test('batch backend through the CLI; the template teacher is labelled as not an LLM', async () => {
  const ws = await leakFixture();
  ws.close();
  const dir = tempDir();
  const exp = await runCliAsync([
    'teach',
    '--work',
    ws.dir,
    '--backend',
    'batch',
    '--model',
    'gemma',
    '--export',
    join(dir, 'in.jsonl'),
    '--what',
    'items',
  ]);
  assert.equal(exp.status, 0, exp.stderr);
  assert.match(exp.stdout, /^LLM gemma \(batch import\): wrote 18 prompts to .*in\.jsonl \(0 already answered\)/);
  const lines = readLines(join(dir, 'in.jsonl'));
  writeFileSync(join(dir, 'out.jsonl'), lines.map((l) => result(l, fakeAnswer(l.body.messages[0].content))).join('\n'));
  const imp = await runCliAsync([
    'teach',
    '--work',
    ws.dir,
    '--backend',
    'batch',
    '--model',
    'gemma',
    '--import',
    join(dir, 'out.jsonl'),
    '--what',
    'items',
  ]);
  assert.equal(
    imp.stdout,
    'LLM gemma (batch import): imported 18 answers, 0 failed, 0 named a held-out item (0 of them by a one-word title), 0 already answered, 0 lines match no current prompt\n',
  );
  const status = JSON.parse((await runCliAsync(['teach', '--work', ws.dir, '--status', '--json'])).stdout);
  assert.deepEqual(status.items, { total: 18, done: 18, failed: 0, pending: 0 });
  assert.equal(status.reasoning.done, 0);

  await runCliAsync(['teach', '--work', ws.dir, '--backend', 'template']);
  const reopened = Workspace.open(ws.dir);
  const out = loadTeacherOutputs(reopened);
  assert.equal(out.teacher.label, 'template (not an LLM)');
  assert.equal(out.teacher.isLLM, false);
  assert.equal(out.reasoning.size, 10);
  assert.equal(out.descriptions.size, 18);
  reopened.close();
});

test('batch results: a reasoning answer naming a held-out item of a user it serves is refused, recorded as failed, never used', async () => {
  const ws = await leakFixture();
  const view = viewOf(ws);
  const c = teachConfig({ backend: 'batch', model: 'g', what: 'reasoning' });
  const s = promptSettings(c, view);
  const { reasoning } = planJobs(view, c, s);
  const store = TeacherStore.open(ws, { backend: 'batch', model: 'g' });
  const dir = tempDir();
  exportBatch(join(dir, 'in.jsonl'), reasoning, store, s);
  const job = (id: string) => reasoning.find((j) => j.subject === view.ds.userIndex.get(id))!;
  // u0 and u8 have the same prompt (so one answer serves both), as have u1 and u9.
  assert.equal(job('u0').hash, job('u8').hash);
  assert.equal(job('u1').hash, job('u9').hash);
  // u0: validation "ZZVALIDMARK0 item"; u1: test "ZZTESTMARK1 item"; u2: validation "ZZVALIDMARK2 item".
  // Case and punctuation do not hide a title; a longer word ("items") or another user's
  // held-out item is no leak.
  const extra = new Map([
    [job('u0').hash, ' They will love the zzvalidmark0 ITEM.'],
    [job('u1').hash, ' Much like "ZZTESTMARK1-item"!'],
    [job('u2').hash, ' Not like ZZVALIDMARK2 items.'],
    [job('u3').hash, ' Like ZZVALIDMARK2 item, a hit with others.'],
  ]);
  const lines = readLines(join(dir, 'in.jsonl'));
  writeFileSync(
    join(dir, 'out.jsonl'),
    lines.map((l) => result(l, fakeAnswer(l.body.messages[0].content) + (extra.get(l.custom_id) ?? ''))).join('\n'),
  );
  const r = await importBatch(join(dir, 'out.jsonl'), reasoning, store, new HeldOutGuard(view.ds));
  assert.deepEqual(
    { stored: r.stored, failed: r.failed, heldOut: r.heldOut.describe(), reasons: r.failures.map((f) => f.reason) },
    {
      stored: 6,
      failed: 0,
      heldOut: '2 named a held-out item (0 of them by a one-word title)',
      reasons: [
        'names user u0\'s held-out validation item "ZZVALIDMARK0 item"',
        'names user u1\'s held-out test item "ZZTESTMARK1 item"',
      ],
    },
  );
  assert.match(store.failure(job('u1').hash)!.text!, /ZZTESTMARK1-item/);
  const out = loadTeacherOutputs(ws, { backend: 'batch', model: 'g' });
  assert.deepEqual([...out.reasoning.keys()].map((u) => view.ds.userIds[u]).sort(), [
    'u2',
    'u3',
    'u4',
    'u5',
    'u6',
    'u7',
  ]);
  assert.match(out.reasoning.get(job('u3').subject)!, /Like ZZVALIDMARK2 item/);
  ws.close();
});
