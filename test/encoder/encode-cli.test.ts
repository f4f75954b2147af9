// `r2end encode` end to end through the CLI entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyBert } from '../support/encoders.js';
import { tempDir } from '../support/fixtures.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('encode --json prints embeddings in text order, from --text and --file', () => {
  const dir = tempDir();
  const file = join(dir, 'texts.txt');
  writeFileSync(file, 'third text\n\nfifth text\n');
  const out = execFileSync(
    process.execPath,
    [main, 'encode', '--encoder', tinyBert(), '--text', 'first', '--text', 'second', '--file', file, '--json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const parsed = JSON.parse(out) as { encoder: string; dim: number; embeddings: number[][] };
  assert.equal(parsed.dim, 32);
  assert.equal(parsed.embeddings.length, 5);
  assert.ok(parsed.embeddings.every((row) => row.length === 32));
  const single = JSON.parse(
    execFileSync(process.execPath, [main, 'encode', '--encoder', parsed.encoder, '--text', 'fifth text', '--json'], {
      encoding: 'utf8',
    }),
  );
  parsed.embeddings[4].forEach((v, i) => assert.ok(Math.abs(v - single.embeddings[0][i]) < 1e-6));
});

test('encode reports bad flags in one line with exit status 2', () => {
  const run = spawnSync(process.execPath, [main, 'encode', '--encoder', '/no/such/model', '--text', 'x'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 2);
  assert.equal(run.stderr.trim().split('\n').length, 1);
  assert.match(run.stderr, /\/no\/such\/model: not a directory/);
});
