import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REASONING_TEMPLATE } from '../../src/teacher/templates.js';
import { startFakeServer } from '../../testing/fake-openai.js';
import { runCliAsync } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { leakFixture } from '../support/teacher.js';

async function workDir(): Promise<string> {
  const ws = await leakFixture();
  ws.close();
  return ws.dir;
}

/** A bad input ends with exit status 2 and exactly one line on stderr matching `expected`. */
async function failsWithOneLine(
  args: string[],
  expected: RegExp,
  env: Record<string, string | undefined> = {},
): Promise<void> {
  const r = await runCliAsync(args, env);
  assert.equal(r.status, 2, `exit status; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0], expected);
}

test('teach: bad input gives one clear line', async () => {
  const work = await workDir();
  const closed = await startFakeServer();
  await closed.close();
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'openai', '--model', 'm', '--base-url', closed.url],
    /^r2end: --base-url http:\/\/127\.0\.0\.1:\d+\/v1: cannot reach the server \(ECONNREFUSED/,
  );

  const server = await startFakeServer({ models: ['fake-model'] });
  const html = await startFakeServer({ notOpenAI: true });
  const locked = await startFakeServer({ apiKey: 'sesame' });
  try {
    await failsWithOneLine(
      ['teach', '--work', work, '--backend', 'openai', '--model', 'gpt-nope', '--base-url', server.url],
      /^r2end: --model gpt-nope: not served by .* \(it serves: fake-model\)$/,
    );
    await failsWithOneLine(
      ['teach', '--work', work, '--backend', 'openai', '--model', 'm', '--base-url', html.url],
      /did not answer like an OpenAI-compatible server \(expected JSON .*text\/html/,
    );
    await failsWithOneLine(
      ['teach', '--work', work, '--backend', 'openai', '--model', 'fake-model', '--base-url', locked.url],
      /refused the request \(HTTP 401: Incorrect API key provided\); set the API key in \$OPENAI_API_KEY/,
      { OPENAI_API_KEY: undefined },
    );
    await failsWithOneLine(
      [
        'teach',
        '--work',
        work,
        '--backend',
        'openai',
        '--model',
        'fake-model',
        '--base-url',
        server.url.replace(/\/v1$/, ''),
      ],
      /^r2end: --base-url http:\/\/127\.0\.0\.1:\d+: POST chat\/completions answered HTTP 404 \(no route POST \/chat\/completions\); the URL should end where \/chat\/completions begins, usually \/v1$/,
    );
    const ok = await runCliAsync(
      [
        'teach',
        '--work',
        work,
        '--backend',
        'openai',
        '--model',
        'fake-model',
        '--base-url',
        locked.url,
        '--limit',
        '2',
      ],
      { OPENAI_API_KEY: 'sesame' },
    );
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    await Promise.all([server.close(), html.close(), locked.close()]);
  }

  const template = join(tempDir(), 'reasoning.txt');
  writeFileSync(template, REASONING_TEMPLATE.replace('{target_item}', 'the target'));
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'template', '--reasoning-template', template],
    /^r2end: --reasoning-template .*reasoning\.txt: reasoning template lacks the placeholder \{target_item\}/,
  );
  writeFileSync(template, `${REASONING_TEMPLATE}{taget_item}`);
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'template', '--reasoning-template', template],
    /unknown placeholder \{taget_item\}/,
  );
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'openai'],
    /^r2end: --model: required with --backend openai$/,
  );
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'template', '--mode', 'unguided'],
    /template teacher cannot predict/,
  );
  await failsWithOneLine(
    ['teach', '--work', work, '--backend', 'template', '--limit', '3', '--ratio', '0.5'],
    /give one of them/,
  );
});

test('teach: template run, status (text and JSON), show, dry run, limit', async () => {
  const work = await workDir();
  const none = await runCliAsync(['teach', '--work', work, '--status']);
  assert.match(none.stderr, /no teacher has run in this workspace/);

  const dry = await runCliAsync(['teach', '--work', work, '--backend', 'template', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /^template \(not an LLM\): 28 prompts \(reasoning 10, items 18\), 28 not yet answered\ntoken estimate/,
  );
  assert.match(dry.stdout, /first prompt \(reasoning\):\n### Task:/);

  const part = await runCliAsync(['teach', '--work', work, '--backend', 'template', '--limit', '4']);
  assert.equal(part.status, 0, part.stderr);
  assert.match(part.stdout, /^template \(not an LLM\): 8 answered, 0 failed, 0 already answered/);
  const partStatus = JSON.parse((await runCliAsync(['teach', '--work', work, '--status', '--json'])).stdout);
  assert.deepEqual(partStatus, {
    reasoning: { total: 4, done: 4, failed: 0, pending: 0 },
    items: { total: 4, done: 4, failed: 0, pending: 0 },
  });

  const full = await runCliAsync(['teach', '--work', work, '--backend', 'template']);
  assert.match(full.stdout, /18 answered, 0 failed, 8 already answered/);
  const status = await runCliAsync(['teach', '--work', work, '--status']);
  assert.equal(
    status.stdout,
    'teacher: template (not an LLM), mode oracle\nreasoning: 10 total, 10 done, 0 failed, 0 pending\nitems:     18 total, 18 done, 0 failed, 0 pending\n',
  );
  // (Users u0 and u8 have the same history, dates and target: one prompt serves both.)
  // The same counts for an LLM that has answered nothing yet.
  const other = JSON.parse(
    (await runCliAsync(['teach', '--work', work, '--status', '--json', '--backend', 'openai', '--model', 'x'])).stdout,
  );
  assert.deepEqual(other.reasoning, { total: 10, done: 0, failed: 0, pending: 10 });

  const show = await runCliAsync(['teach', '--work', work, '--show', 'u3']);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /^teacher: template \(not an LLM\)\nreasoning prompt for user u3:\n\n### Task:/);
  assert.match(show.stdout, /--- answer ---\n\S/);
  const item = await runCliAsync(['teach', '--work', work, '--show-item', 'n1']);
  assert.match(item.stdout, /description prompt for item n1:[\s\S]*--- answer ---\nUsers who prefer/);
  const missing = await runCliAsync(['teach', '--work', work, '--show', 'nobody']);
  assert.match(missing.stderr, /^r2end: --show nobody: no such user in this workspace\n$/);
});
