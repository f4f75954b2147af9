import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planJobs } from '../../src/teacher/config.js';
import { OpenAIBackend, type OpenAIOptions } from '../../src/teacher/openai.js';
import { runJobs } from '../../src/teacher/runner.js';
import { TeacherStore } from '../../src/teacher/store.js';
import { UserError } from '../../src/util/errors.js';
import { fakeAnswer, promptHash, startFakeServer, type Fault } from '../../testing/fake-openai.js';
import { leakFixture, teachConfig, viewOf } from '../support/teacher.js';

const FIRST_FAULTS: Fault[] = [
  '429',
  '500',
  'slow',
  'drop',
  'drop-mid',
  'malformed',
  'truncated',
  'empty',
  'no-opening',
  'ok',
];

function backendFor(url: string, o: Partial<OpenAIOptions> = {}): OpenAIBackend {
  return new OpenAIBackend({
    baseUrl: url,
    model: 'fake-model',
    apiKeyEnv: 'OPENAI_API_KEY',
    timeoutMs: 150,
    connections: 4,
    temperature: 0,
    maxTokens: 1024,
    ...o,
  });
}

test('openai backend under injected faults: every prompt ends with one stored answer or one reported failure', async () => {
  // Prompts are numbered by first arrival: each gets one transient or content fault first,
  // and two groups never get a good answer.
  const order = new Map<string, number>();
  const alwaysCut = new Set<string>();
  const always500 = new Set<string>();
  const fault = (hash: string, attempt: number): Fault => {
    if (!order.has(hash)) order.set(hash, order.size);
    const k = order.get(hash)!;
    if (k % 13 === 5) return (alwaysCut.add(hash), 'truncated');
    if (k % 13 === 7) return (always500.add(hash), '500');
    return attempt === 0 ? FIRST_FAULTS[k % FIRST_FAULTS.length] : 'ok';
  };
  const server = await startFakeServer({ fault, slowMs: 400, retryAfter: '0.2' });
  const ws = await leakFixture();
  const view = viewOf(ws);
  const c = teachConfig({ backend: 'openai', model: 'fake-model' });
  const plan = planJobs(view, c);
  const jobs = [...plan.reasoning, ...plan.items];
  const backend = backendFor(server.url);
  const store = TeacherStore.open(ws, backend.id);
  try {
    await backend.preflight();
    const report = await runJobs(jobs, backend, store, {
      concurrency: 4,
      attempts: 2,
      retries: 3,
      backoffMs: 2,
      maxBackoffMs: 20,
    });
    const unique = new Set(jobs.map((j) => j.hash));
    assert.equal(report.done + report.failed, unique.size);
    assert.ok(alwaysCut.size > 0 && always500.size > 0);
    for (const job of jobs) {
      const answer = store.response(job.hash);
      const failure = store.failure(job.hash);
      assert.ok(Boolean(answer) !== Boolean(failure), `exactly one outcome for ${job.kind} ${job.subject}`);
      const served = promptHash(job.prompt);
      if (alwaysCut.has(served)) {
        assert.match(failure!.reason, /cut off/);
        assert.equal(failure!.attempts, 2);
        assert.match(failure!.text!, /^The user|^Users/);
      } else if (always500.has(served)) {
        assert.match(failure!.reason, /HTTP 500/);
        assert.equal(failure!.attempts, 4);
      } else {
        assert.equal(answer?.text, fakeAnswer(job.prompt), `${job.kind} ${job.subject}: ${failure?.reason}`);
      }
    }
    const served = new Set(
      [...order]
        .filter(([h]) => !alwaysCut.has(h) && !always500.has(h))
        .map(([, k]) => FIRST_FAULTS[k % FIRST_FAULTS.length]),
    );
    assert.deepEqual([...served].sort(), [...FIRST_FAULTS].sort(), 'every fault was injected');
    // Retry-After is a floor under the backoff (hashes here are the server's: sha256 of the prompt).
    for (const [hash, k] of order) {
      if (FIRST_FAULTS[k % FIRST_FAULTS.length] !== '429' || alwaysCut.has(hash) || always500.has(hash)) continue;
      const [first, second] = server.arrivals.get(hash)!;
      assert.ok(second - first >= 190, `retried after ${second - first} ms despite Retry-After 0.2 s`);
    }
  } finally {
    backend.close();
    await server.close();
    ws.close();
  }
});

test('a fatal error (unknown model mid-run) stops the run at once with one UserError', async () => {
  const server = await startFakeServer({ noModelsEndpoint: true, delayMs: 5 });
  const ws = await leakFixture();
  const view = viewOf(ws);
  const plan = planJobs(view, teachConfig({ backend: 'openai', model: 'nope' }));
  const backend = backendFor(server.url, { model: 'nope' });
  try {
    await backend.preflight(); // no /models here: nothing to check yet
    await assert.rejects(
      runJobs([...plan.reasoning, ...plan.items], backend, TeacherStore.open(ws, backend.id), {
        concurrency: 3,
        attempts: 2,
        retries: 3,
        backoffMs: 2,
        maxBackoffMs: 20,
      }),
      (err: unknown) =>
        err instanceof UserError && /--model nope: .*HTTP 404 \(The model `nope` does not exist/.test(err.message),
    );
    assert.ok(server.requests() <= 3, `stopped after ${server.requests()} requests`);
  } finally {
    backend.close();
    await server.close();
    ws.close();
  }
});
