// Bad model directories, bad safetensors and bad batches give UserErrors naming what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEncoder } from '../../src/encoder/load.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { loadUseLite } from '../../src/encoder/use-lite.js';
import { UserError } from '../../src/util/errors.js';
import { tinyBert } from '../support/encoders.js';
import { tempDir } from '../support/fixtures.js';

function rejects(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof UserError && pattern.test(error.message));
}

/** Rewrites one tensor of a model directory's safetensors file. */
function replaceTensor(dir: string, name: string, shape: number[]): void {
  const path = join(dir, 'model.safetensors');
  const tensors = readSafetensors(path);
  tensors.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  writeSafetensors(path, tensors);
}

test('missing and malformed model directories', () => {
  const root = tempDir();
  rejects(() => loadEncoder(join(root, 'nowhere')), /nowhere: not a directory/);
  const empty = join(root, 'empty');
  mkdirSync(empty);
  rejects(() => loadEncoder(empty), /config\.json: missing/);
  writeFileSync(join(empty, 'config.json'), '{ not json');
  rejects(() => loadEncoder(empty), /config\.json: not valid JSON/);
  writeFileSync(join(empty, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 'big' }));
  rejects(() => loadEncoder(empty), /vocab_size must be a positive integer/);
  writeFileSync(join(empty, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
  rejects(() => loadEncoder(empty), /model_type is 'gpt2'/);
  const marker = join(root, 'use');
  mkdirSync(marker);
  writeFileSync(join(marker, 'r2end-encoder.json'), '{"kind":"use-lite"}');
  rejects(() => loadEncoder(marker), /model\.safetensors: cannot read/);
});

test('safetensors with a wrong shape, a wrong dtype, or broken bytes', () => {
  const wrongShape = tinyBert();
  replaceTensor(wrongShape, 'encoder.layer.0.attention.self.query.weight', [32, 31]);
  rejects(
    () => loadEncoder(wrongShape),
    /tensor 'encoder\.layer\.0\.attention\.self\.query\.weight' has shape \[32, 31\], expected \[32, 32\]/,
  );

  const missing = tinyBert();
  const path = join(missing, 'model.safetensors');
  const tensors = readSafetensors(path);
  tensors.delete('encoder.layer.1.output.dense.bias');
  writeSafetensors(path, tensors);
  rejects(() => loadEncoder(missing), /missing tensor 'encoder\.layer\.1\.output\.dense\.bias'/);

  const wrongDtype = tinyBert();
  const header = JSON.stringify({
    'embeddings.word_embeddings.weight': { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
  });
  const bytes = Buffer.alloc(8 + header.length + 8);
  bytes.writeBigUInt64LE(BigInt(header.length));
  bytes.write(header, 8);
  writeFileSync(join(wrongDtype, 'model.safetensors'), bytes);
  rejects(() => loadEncoder(wrongDtype), /has dtype I64, expected a floating type/);

  const truncated = tinyBert();
  writeFileSync(join(truncated, 'model.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  rejects(() => loadEncoder(truncated), /not a valid safetensors file \(header length 200 exceeds the file\)/);
});

test('empty batches, mismatched targets and over-long texts', async () => {
  const encoder = loadUseLite({ onWarning: () => {} });
  assert.equal((await encoder.encode([])).length, 0);
  const row = await encoder.encode(['']);
  assert.equal(row.length, 512);
  assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5, 'an empty text still gets a unit vector');
  const trainer = encoder.trainer();
  await assert.rejects(trainer.step([], new Float32Array(0)), /empty batch/);
  await assert.rejects(trainer.step(['a'], new Float32Array(3)), /targets hold 3 values, expected 1 x 512/);
  const long = await encoder.encode(['word '.repeat(5000)]);
  assert.equal(long.length, 512);
  rejects(() => loadEncoder(tinyBert(), { maxTokens: 65 }), /maxTokens 65 exceeds the model's limit of 64 positions/);
});
