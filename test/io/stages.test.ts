import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StageRunner } from '../../src/io/stages.js';
import { tempDir } from '../support/fixtures.js';

/** Two stages as a training job runs them: `a` writes a file, `b` a folder of two files. */
async function job(dir: string) {
  const log: string[] = [];
  const ran: string[] = [];
  const stages = new StageRunner(dir, (line) => log.push(line));
  await stages.run('a', { x: 1 }, [join(dir, 'a.bin')], async () => {
    ran.push('a');
    writeFileSync(join(dir, 'a.bin'), 'a'.repeat(100));
  });
  await stages.run('b', { y: 2 }, ['b'], async () => {
    ran.push('b');
    mkdirSync(join(dir, 'b', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'b', 'one.bin'), 'one');
    writeFileSync(join(dir, 'b', 'sub', 'two.bin'), 'two');
  });
  return { log, ran };
}

test('a finished stage records the size and sha256 of each output file, and is skipped while they hold', async () => {
  const dir = tempDir();
  assert.deepEqual((await job(dir)).ran, ['a', 'b']);
  const state = JSON.parse(readFileSync(join(dir, 'stages.json'), 'utf8'));
  assert.deepEqual(Object.keys(state.b.outputs), ['b/one.bin', 'b/sub/two.bin']);
  assert.equal(state.a.outputs['a.bin'].size, 100);
  assert.match(state.a.outputs['a.bin'].sha256, /^[0-9a-f]{64}$/);
  const again = await job(dir);
  assert.deepEqual(again.ran, []);
  assert.equal(again.log.length, 2);
  assert.ok(
    again.log.every((l) => /^[ab]: done \([\d.]+ s\), skipped$/.test(l)),
    again.log.join('\n'),
  );
});

test('a cut, changed or missing output reruns its stage and every later one, saying why', async () => {
  const dir = tempDir();
  await job(dir);
  truncateSync(join(dir, 'a.bin'), 50);
  const cut = await job(dir);
  assert.deepEqual(cut.ran, ['a', 'b']);
  assert.equal(cut.log[0], 'a: output a.bin changed since it finished (size 100 -> 50 bytes); running again: a, b');

  writeFileSync(join(dir, 'b', 'one.bin'), 'uno');
  const changed = await job(dir);
  assert.deepEqual(changed.ran, ['b']);
  assert.match(changed.log[1], /^b: output b\/one\.bin changed since it finished \(same size, another sha256\)/);

  rmSync(join(dir, 'b', 'sub', 'two.bin'));
  assert.match((await job(dir)).log[1], /^b: output b\/sub\/two\.bin is missing; running again: b$/);
  rmSync(join(dir, 'b'), { recursive: true });
  assert.match((await job(dir)).log[1], /^b: output b is missing; running again: b$/);
});

test('stages recorded without checksums (an older version) are trusted once their outputs exist, and recorded', async () => {
  const dir = tempDir();
  await job(dir);
  const file = join(dir, 'stages.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  for (const s of Object.values(state)) delete (s as { outputs?: unknown }).outputs;
  writeFileSync(file, JSON.stringify(state));
  const old = await job(dir);
  assert.deepEqual(old.ran, []);
  assert.equal(old.log.filter((l) => /no output checksums/.test(l)).length, 1, 'said once');
  assert.ok(JSON.parse(readFileSync(file, 'utf8')).b.outputs['b/one.bin'], 'recorded now');
  truncateSync(join(dir, 'a.bin'), 10);
  assert.deepEqual((await job(dir)).ran, ['a', 'b'], 'and checked from then on');

  const missing = JSON.parse(readFileSync(file, 'utf8'));
  for (const s of Object.values(missing)) delete (s as { outputs?: unknown }).outputs;
  writeFileSync(file, JSON.stringify(missing));
  rmSync(join(dir, 'a.bin'));
  const rerun = await job(dir);
  assert.equal(rerun.log[0], 'a: output a.bin is missing; running again: a, b');
});
