// The engine's sequential models: analytic gradients match finite differences (float64, no
// dropout) for both losses, and the trainer's state round-trips so a resumed run continues exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SequentialConfig } from '../../src/sequential/config.js';
import { createModel, type Batch } from '../../src/engine/native.js';
import { LOSSES, SEQUENTIAL_MODELS } from '../../src/sequential/config.js';
import { SequentialNet } from '../../src/sequential/net.js';
import { tinyConfig } from './support.js';

const ITEMS = 9;
// Rows of different lengths (one empty), right-padded with -1; targets where a next item exists.
const shape = [3, 4];
const batch: Batch = {
  items: { data: Int32Array.of(1, 2, 3, 4, 5, 6, -1, -1, -1, -1, -1, -1), shape },
  targets: { data: Int32Array.of(2, 3, 4, 0, 6, 7, -1, -1, -1, -1, -1, -1), shape },
  negatives: { data: Int32Array.of(8, 0, 1, 2, 3, 4, -1, -1, -1, -1, -1, -1), shape },
};

function float64Model(cfg: SequentialConfig) {
  const net = SequentialNet.create(cfg, ITEMS, 'test');
  const c = {
    items: ITEMS,
    hidden: cfg.hidden,
    dropout: 0,
    loss: cfg.loss === 'ce' ? 1 : 0,
    maxLength: cfg.maxLength,
    ...(cfg.blocks ? { blocks: cfg.blocks, heads: cfg.heads! } : {}),
  };
  return createModel(
    cfg.model,
    c,
    Object.fromEntries([...net.tensors()].map(([k, t]) => [k, { data: Float64Array.from(t.data), shape: t.shape }])),
    { dtype: 'float64' },
    'test',
  );
}

for (const model of SEQUENTIAL_MODELS) {
  for (const loss of LOSSES) {
    test(`${model} (${loss}): gradients match finite differences`, async () => {
      const m = float64Model(tinyConfig(model, { loss, hidden: 8, dropout: 0 }));
      const names = m.parameters().map((p) => p.name);
      const { gradients } = await m.lossAndGradients(batch, names);
      for (const [i, name] of names.entries()) {
        const value = m.tensors()[name];
        // A few entries per parameter, always including the first row of each matrix.
        for (const at of [0, Math.floor(value.data.length / 2), value.data.length - 1]) {
          const probe = async (delta: number) => {
            const data = Float64Array.from(value.data);
            data[at] += delta;
            m.setTensor(name, { data, shape: value.shape });
            return (await m.lossAndGradients(batch, [name])).loss;
          };
          const h = 1e-6;
          const numeric = ((await probe(h)) - (await probe(-h))) / (2 * h);
          m.setTensor(name, value);
          const analytic = gradients[i].data[at];
          assert.ok(
            Math.abs(numeric - analytic) <= 1e-6 + 1e-4 * Math.abs(numeric),
            `${name}[${at}]: analytic ${analytic}, numeric ${numeric}`,
          );
        }
      }
    });
  }
}

test('a trainer restored from state() takes the same steps as the one it came from', async () => {
  const cfg = tinyConfig('sasrec', { dropout: 0.3 });
  const seeded = (seed: number): Batch => ({ ...batch, seed: { data: Int32Array.of(seed), shape: [1] } });
  const a = SequentialNet.create(cfg, ITEMS, 'test');
  const trainA = a.trainer();
  for (let s = 0; s < 3; s++) await trainA.step(seeded(s));
  const b = SequentialNet.create(cfg, ITEMS, 'test');
  b.setTensors(a.tensors());
  const trainB = b.trainer();
  trainB.setState(trainA.state());
  assert.equal(trainB.steps, 3);
  for (let s = 3; s < 6; s++) assert.equal(await trainB.step(seeded(s)), await trainA.step(seeded(s)));
  assert.deepEqual(b.tensors(), a.tensors());
  assert.throws(
    () => trainB.setState({ steps: 0, tensors: { 'exp_avg.nothing': { data: new Float32Array(1), shape: [1] } } }),
    /names no trainable parameter/,
  );
});

test('a batch of many rows (computed in groups of similar length) gives the loss and scores of its rows alone', async () => {
  for (const model of SEQUENTIAL_MODELS) {
    for (const loss of LOSSES) {
      const m = float64Model(tinyConfig(model, { loss, hidden: 8, dropout: 0 }));
      // 70 rows of lengths 1..7 in a scrambled order, items and negatives from a fixed pattern.
      const rows = Array.from({ length: 70 }, (_, r) => 1 + ((r * 5) % 7));
      const width = 8;
      const make = (which: number[]): Batch => {
        const items = new Int32Array(which.length * width).fill(-1);
        const targets = new Int32Array(which.length * width).fill(-1);
        const negatives = new Int32Array(which.length * width).fill(-1);
        which.forEach((r, i) => {
          for (let p = 0; p < rows[r]; p++) {
            items[i * width + p] = (r + p) % ITEMS;
            targets[i * width + p] = (r + p + 1) % ITEMS;
            negatives[i * width + p] = (r * 3 + p + 4) % ITEMS;
          }
        });
        const s = [which.length, width];
        return {
          items: { data: items, shape: s },
          targets: { data: targets, shape: s },
          negatives: { data: negatives, shape: s },
        };
      };
      const all = rows.map((_, r) => r);
      const lossOf = async (which: number[]) => (await m.lossAndGradients(make(which), ['item_embedding'])).loss;
      const whole = await lossOf(all);
      let sum = 0;
      for (const r of all) sum += (await lossOf([r])) * rows[r];
      const positions = rows.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(whole - sum / positions) < 1e-9, `${model} ${loss}: ${whole} vs ${sum / positions}`);
      const scores = (await m.infer({ items: make(all).items })).data;
      for (const r of [0, 33, 69]) {
        const alone = (await m.infer({ items: make([r]).items })).data;
        for (let i = 0; i < ITEMS; i++)
          assert.ok(Math.abs(alone[i] - scores[r * ITEMS + i]) < 1e-9, `${model} row ${r} item ${i}`);
      }
    }
  }
});
