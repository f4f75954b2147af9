// MSE distillation of USE-lite: loss falls, embeddings approach targets, freezing holds,
// the schedule warms up and decays, checkpoints reload bit-exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadEncoder } from '../../src/encoder/load.js';
import { loadUseLite } from '../../src/encoder/use-lite.js';
import { Random } from '../../src/engine/random.js';
import { cosine, row } from '../support/encoders.js';
import { tempDir } from '../support/fixtures.js';

const texts = [
  'hiking boots and a tent',
  'a cookbook about Italian pasta',
  'wireless headphones',
  "a children's puzzle with 100 pieces",
  'running shoes, size 10',
  'a novel by Jane Austen',
  'an espresso machine',
  'a yoga mat and blocks',
];

function unitTargets(n: number, dim: number, seed: number): Float32Array {
  const t = new Random(seed).normals(n * dim, 1);
  for (let i = 0; i < n; i++) {
    const r = row(t, i, dim);
    const norm = Math.hypot(...r);
    for (let k = 0; k < dim; k++) r[k] /= norm;
  }
  return t;
}

test('MSE fine-tuning lowers the loss and moves embeddings toward their targets', async () => {
  const encoder = loadUseLite();
  const targets = unitTargets(texts.length, 512, 3);
  const before = await encoder.encode(texts);
  const trainer = encoder.trainer({ learningRate: 3e-4, warmupSteps: 3, totalSteps: 40, maxGradNorm: 1 });
  const losses: number[] = [];
  for (let s = 0; s < 40; s++) {
    const batch = [(2 * s) % 8, (2 * s + 1) % 8, (2 * s + 2) % 8, (2 * s + 3) % 8];
    const t = new Float32Array(batch.length * 512);
    batch.forEach((i, r) => t.set(row(targets, i, 512), r * 512));
    losses.push(
      await trainer.step(
        batch.map((i) => texts[i]),
        t,
      ),
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (let w = 0; w + 20 <= losses.length; w += 10)
    assert.ok(mean(losses.slice(w + 10, w + 20)) < mean(losses.slice(w, w + 10)), `losses ${losses}`);
  const after = await encoder.encode(texts);
  for (let i = 0; i < texts.length; i++) {
    const target = row(targets, i, 512);
    assert.ok(
      cosine(row(after, i, 512), target) > cosine(row(before, i, 512), target) + 0.1,
      `text ${i} moved toward its target`,
    );
  }
  assert.equal(trainer.steps, 40);
});

test('freezing keeps embeddings and lower layers fixed; the schedule warms up then decays', async () => {
  const encoder = loadUseLite();
  const before = encoder.model.tensors();
  const trainer = encoder.trainer({
    learningRate: 1e-3,
    warmupSteps: 2,
    totalSteps: 6,
    freezeEmbeddings: true,
    freezeLayers: 1,
  });
  const rates: number[] = [];
  for (let s = 0; s < 6; s++) {
    rates.push(trainer.learningRate);
    await trainer.step(texts.slice(0, 2), unitTargets(2, 512, s));
  }
  const expected = [5e-4, 1e-3, 1e-3, 7.5e-4, 5e-4, 2.5e-4];
  rates.forEach((r, i) => assert.ok(Math.abs(r - expected[i]) < 1e-12, `rate ${i}: ${r}`));
  const after = encoder.model.tensors();
  assert.deepEqual(after['embeddings.weight'].data, before['embeddings.weight'].data);
  assert.deepEqual(after['layers.0.ffn.fc1.weight'].data, before['layers.0.ffn.fc1.weight'].data);
  assert.notDeepEqual(after['layers.1.ffn.fc1.weight'].data, before['layers.1.ffn.fc1.weight'].data);
  assert.notDeepEqual(after['head.weight'].data, before['head.weight'].data);
});

test('a fine-tuned USE-lite checkpoint reloads bit-exactly', async () => {
  const encoder = loadUseLite();
  const trainer = encoder.trainer({ learningRate: 1e-3 });
  await trainer.step(texts.slice(0, 4), unitTargets(4, 512, 9));
  const dir = join(tempDir(), 'use-lite-tuned');
  encoder.save(dir);
  const reloaded = loadEncoder(dir);
  assert.equal(reloaded.dim, 512);
  assert.deepEqual(await reloaded.encode(texts), await encoder.encode(texts));
  const a = encoder.model.tensors(),
    b = reloaded.model.tensors();
  for (const name of Object.keys(a)) assert.deepEqual(b[name].data, a[name].data, name);
});
