// BERT-family encoders on a tiny random BERT with MiniLM's real tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEncoder } from '../../src/encoder/load.js';
import { cosine, row, tinyBert } from '../support/encoders.js';
import { tempDir } from '../support/fixtures.js';
import { join } from 'node:path';

test('a tiny random BERT encodes in text order, normalised, with one truncation warning', async () => {
  const warnings: string[] = [];
  const encoder = loadEncoder(tinyBert(), { onWarning: (m) => warnings.push(m) });
  assert.equal(encoder.dim, 32);
  assert.equal(encoder.maxTokens, 64);
  const texts = ['hello world', '', 'word '.repeat(200), 'another sentence here', 'word '.repeat(300)];
  const out = await encoder.encode(texts, { batchSize: 2 });
  assert.equal(out.length, texts.length * 32);
  for (let i = 0; i < texts.length; i++) {
    const norm = Math.hypot(...row(out, i, 32));
    assert.ok(Math.abs(norm - 1) < 1e-5, `row ${i} has norm ${norm}`);
  }
  assert.equal(warnings.length, 1);
  // Both long texts cut to the same 64 tokens: identical rows. Order is kept despite length batching.
  assert.ok(cosine(row(out, 2, 32), row(out, 4, 32)) > 0.99999);
  const single = await encoder.encode(['another sentence here']);
  assert.ok(cosine(single, row(out, 3, 32)) > 0.99999);
  assert.equal((await encoder.encode([])).length, 0);
});

test('inference and training compute the same embeddings, padding included', async () => {
  for (const pooling of ['mean', 'cls'] as const) {
    const encoder = loadEncoder(tinyBert({ pooling }));
    const texts = ['short', 'a somewhat longer text with more tokens in it', ''];
    const embeddings = await encoder.encode(texts);
    const { loss } = await encoder.model.lossAndGradients(encoder.batch(texts, embeddings), [
      'encoder.layer.0.output.dense.bias',
    ]);
    assert.ok(loss < 1e-12, `${pooling}: mean squared difference ${loss}`);
  }
});

test('gradients of the distillation loss match finite differences', async () => {
  const encoder = loadEncoder(tinyBert({ pooling: 'cls', normalize: false }), { dtype: 'float64' });
  const texts = ['a short text', 'gradients should match finite differences', ''];
  const targets = new Float32Array(texts.length * 32).map((_, i) => Math.sin(i) * 0.5);
  const batch = encoder.batch(texts, targets);
  const names = [
    'encoder.layer.0.attention.self.query.weight',
    'encoder.layer.1.intermediate.dense.bias',
    'encoder.layer.1.output.LayerNorm.weight',
    'embeddings.position_embeddings.weight',
  ];
  const { loss, gradients } = await encoder.model.lossAndGradients(batch, names);
  assert.ok(Number.isFinite(loss) && loss > 0);
  const tensors = encoder.model.tensors();
  const h = 1e-5;
  for (const [p, name] of names.entries()) {
    const original = tensors[name];
    const grad = gradients[p].data;
    // The largest-gradient entries plus the first one: all must agree.
    const picks = [0, ...[...grad.keys()].sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a])).slice(0, 3)];
    for (const i of picks) {
      const shifted = (delta: number) => {
        const data = Float64Array.from(original.data);
        data[i] += delta;
        encoder.model.setTensor(name, { data, shape: original.shape });
      };
      shifted(h);
      const plus = (await encoder.model.lossAndGradients(batch, [name])).loss;
      shifted(-h);
      const minus = (await encoder.model.lossAndGradients(batch, [name])).loss;
      encoder.model.setTensor(name, original);
      const numeric = (plus - minus) / (2 * h);
      const scale = Math.max(Math.abs(numeric), Math.abs(grad[i]), 1e-8);
      assert.ok(Math.abs(numeric - grad[i]) / scale < 1e-4, `${name}[${i}]: analytic ${grad[i]}, numeric ${numeric}`);
    }
  }
});

test('a fine-tuned BERT saves to a Hugging Face directory that reloads bit-exactly', async () => {
  const encoder = loadEncoder(tinyBert());
  const texts = ['one text', 'two texts', 'three'];
  const trainer = encoder.trainer({ learningRate: 1e-2 });
  await trainer.step(texts, new Float32Array(3 * 32).fill(0.1));
  const dir = join(tempDir(), 'saved');
  encoder.save(dir);
  const reloaded = loadEncoder(dir);
  assert.equal(reloaded.pooling, 'mean');
  assert.equal(reloaded.normalized, true);
  assert.deepEqual(await reloaded.encode(texts), await encoder.encode(texts));
  const a = encoder.model.tensors(),
    b = reloaded.model.tensors();
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const name of Object.keys(a)) assert.deepEqual(b[name].data, a[name].data, name);
  assert.ok(Object.keys(a).includes('encoder.layer.0.attention.self.query.weight'), 'Hugging Face names');
});

test('bfloat16 inference follows every weight update: training steps and reloads, never stale cached weights', async () => {
  const texts = ['one text', 'two texts', 'three'];
  const encoder = loadEncoder(tinyBert(), { precision: 'bfloat16' });
  const before = await encoder.encode(texts);
  const trainer = encoder.trainer({ learningRate: 1e-2 });
  await trainer.step(texts, new Float32Array(3 * 32).fill(0.1));
  const after = await encoder.encode(texts);
  assert.ok(cosine(row(after, 0, 32), row(before, 0, 32)) < 0.9999, 'the step changed the embeddings');
  const dir = join(tempDir(), 'saved');
  encoder.save(dir);
  assert.deepEqual(await loadEncoder(dir, { precision: 'bfloat16' }).encode(texts), after);
  // Loading the original weights back into the trained model brings back the first embeddings.
  const original = loadEncoder(tinyBert(), { precision: 'bfloat16' });
  for (const [name, t] of Object.entries(original.model.tensors())) encoder.model.setTensor(name, t);
  assert.deepEqual(await encoder.encode(texts), before);
});
