import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Workspace } from '../../src/data/workspace.js';
import { sharedDir } from '../../src/util/paths.js';
import { startFakeServer } from '../../testing/fake-openai.js';
import { CLI, runCliAsync } from '../support/cli.js';
import { preparedWorkspace } from '../support/fixtures.js';

const CONCURRENCY = 4;

async function preparedMini(): Promise<string> {
  const ws = await preparedWorkspace(sharedDir('datasets', 'beauty_mini'), 5);
  ws.close();
  return ws.dir;
}

function answers(work: string): unknown[] {
  const db = new Database(`${work}/${Workspace.DB_FILE}`, { readonly: true });
  try {
    return db
      .prepare('SELECT backend, model, prompt_hash, kind, subject, text FROM teacher_responses ORDER BY prompt_hash')
      .all();
  } finally {
    db.close();
  }
}

function answered(db: Database.Database): number {
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM teacher_responses').get() as { n: number }).n;
  } catch {
    return 0; // the child has not created the table yet
  }
}

test('a run SIGKILLed several times and resumed stores exactly what an uninterrupted run stores', async () => {
  const server = await startFakeServer({ delayMs: 10 });
  const args = (work: string) => [
    'teach',
    '--work',
    work,
    '--backend',
    'openai',
    '--model',
    'fake-model',
    '--base-url',
    server.url,
    '--concurrency',
    String(CONCURRENCY),
    '--limit',
    '300',
    '--backoff',
    '0.01',
  ];
  try {
    const reference = await preparedMini();
    const whole = await runCliAsync(args(reference));
    assert.equal(whole.status, 0, whole.stderr);
    const expected = answers(reference);
    assert.equal(expected.length, 600);

    const killed = await preparedMini();
    const before = server.requests();
    const db = new Database(`${killed}/${Workspace.DB_FILE}`, { readonly: true });
    try {
      for (const threshold of [120, 270, 420]) {
        const child = spawn(process.execPath, [CLI, ...args(killed)], { stdio: 'ignore' });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on('exit', (_code, signal) => resolve(signal)),
        );
        while (answered(db) < threshold) await sleep(5);
        child.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL', 'killed mid-run, not after finishing');
        const n = answered(db);
        assert.ok(n >= threshold && n < 600, `killed at ${n} answers`);
      }
    } finally {
      db.close();
    }
    const resumed = await runCliAsync(args(killed));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /already answered/);
    assert.deepEqual(answers(killed), expected, 'same keys, same texts, no duplicates');
    // Only requests in flight at a kill may be asked again (a worker waits for its answer's
    // commit before it sends the next request).
    const asked = server.requests() - before;
    assert.ok(asked <= 600 + 3 * CONCURRENCY, `${asked} requests for 600 prompts`);
  } finally {
    await server.close();
  }
});
