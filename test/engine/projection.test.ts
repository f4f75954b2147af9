// The projection head: InfoNCE + norm regulariser ranks positives first on a separable toy set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProjectionHead } from '../../src/engine/projection.js';
import { Random } from '../../src/engine/random.js';
import { topK } from '../../src/engine/topk.js';
import { tempDir } from '../support/fixtures.js';

for (const precision of ['float32', 'bfloat16'] as const) {
  test(`InfoNCE training ranks each user's positive item first, and the head reloads exactly (${precision})`, async () => {
    const inDim = 24,
      outDim = 16,
      itemCount = 30,
      users = 60,
      negatives = 8;
    const random = new Random(5);
    const items = random.normals(itemCount * inDim, 1);
    // Each user looks like a scrambled version of its positive item: separable, but not by identity.
    const positives = Int32Array.from({ length: users }, (_, u) => u % itemCount);
    const mix = random.normals(inDim * inDim, 1 / Math.sqrt(inDim));
    const userVectors = new Float32Array(users * inDim);
    for (let u = 0; u < users; u++)
      for (let j = 0; j < inDim; j++) {
        let s = 0;
        for (let k = 0; k < inDim; k++) s += mix[j * inDim + k] * items[positives[u] * inDim + k];
        userVectors[u * inDim + j] = s + 0.05 * random.normal();
      }
    const head = ProjectionHead.create(
      { inDim, outDim, temperature: 0.1, regularization: 0.01 },
      { seed: 1, precision },
    );
    head.setItems(items);
    const trainer = head.trainer({ learningRate: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      const batch = Array.from({ length: 16 }, () => random.int(users));
      const neg = new Int32Array(16 * negatives);
      batch.forEach((u, r) => {
        for (let j = 0; j < negatives; j++) {
          let item = random.int(itemCount);
          while (item === positives[u]) item = random.int(itemCount);
          neg[r * negatives + j] = item;
        }
      });
      const x = new Float32Array(16 * inDim);
      batch.forEach((u, r) => x.set(userVectors.subarray(u * inDim, (u + 1) * inDim), r * inDim));
      losses.push(
        await trainer.step(
          x,
          Int32Array.from(batch, (u) => positives[u]),
          neg,
        ),
      );
    }
    assert.ok(
      losses.slice(-10).reduce((a, b) => a + b) < losses.slice(0, 10).reduce((a, b) => a + b) / 2,
      `losses ${losses.slice(0, 3)} ... ${losses.slice(-3)}`,
    );
    const zUsers = await head.project(userVectors);
    const zItems = await head.project(items);
    const ranked = await topK(zUsers, zItems, outDim, 1);
    for (let u = 0; u < users; u++) assert.equal(ranked.indices[u], positives[u], `user ${u}`);

    const dir = join(tempDir(), 'projection');
    head.save(dir);
    const reloaded = ProjectionHead.load(dir, { precision });
    assert.deepEqual(reloaded.config, head.config);
    assert.deepEqual(await reloaded.project(userVectors), zUsers);
  });
}

test("a shared negative that is a user's own positive is no negative for that user", async () => {
  const inDim = 6;
  const random = new Random(3);
  const items = random.normals(5 * inDim, 1);
  const users = random.normals(2 * inDim, 1);
  const positives = Int32Array.of(0, 1);
  const loss = (negatives: Int32Array, sharing: 'shared' | 'per-user') => {
    const head = ProjectionHead.create(
      { inDim, outDim: 4, temperature: 0.1, regularization: 0 },
      { seed: 1, precision: 'float32' },
    );
    head.setItems(items);
    return head.trainer({ learningRate: 1e-2 }).step(users, positives, negatives, sharing);
  };
  // Shared [0, 1, 2, 3] holds both users' positives; per user, each gets the other three.
  const shared = await loss(Int32Array.of(0, 1, 2, 3), 'shared');
  const perUser = await loss(Int32Array.of(1, 2, 3, 0, 2, 3), 'per-user');
  assert.ok(Math.abs(shared - perUser) < 1e-5, `shared ${shared} vs per user ${perUser}`);
});
