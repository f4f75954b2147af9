import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroBatcher } from '../../src/serve/micro-batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('requests within the window share a batch; those arriving during a batch form the next one', async () => {
  const batches: number[][] = [];
  const b = new MicroBatcher(
    async (xs: number[]) => {
      batches.push(xs);
      await sleep(30);
      return xs.map((x) => x * 10);
    },
    { windowMs: 5, maxBatch: 4 },
  );
  const first = [1, 2, 3].map((x) => b.submit(x));
  await sleep(10); // the first batch is running
  const second = [4, 5, 6, 7, 8, 9].map((x) => b.submit(x));
  assert.deepEqual(await Promise.all([...first, ...second]), [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(batches, [
    [1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
});

test('a full batch leaves at once, and a failed batch rejects only its own requests', async () => {
  const started: number[] = [];
  const b = new MicroBatcher(
    async (xs: number[]) => {
      started.push(Date.now());
      if (xs.includes(0)) throw new Error('boom');
      return xs;
    },
    { windowMs: 1000, maxBatch: 2 },
  );
  const t = Date.now();
  const bad = [b.submit(0), b.submit(1)];
  await assert.rejects(bad[0], /boom/);
  await assert.rejects(bad[1], /boom/);
  assert.ok(started[0] - t < 500, 'did not wait for the window');
  assert.deepEqual(await Promise.all([b.submit(2), b.submit(3)]), [2, 3]);
});

test('with two batches in flight, the next batch starts while one runs, and never a third', async () => {
  let running = 0;
  let most = 0;
  const batches: number[][] = [];
  const b = new MicroBatcher(
    async (xs: number[]) => {
      batches.push(xs);
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return xs.map((x) => -x);
    },
    { windowMs: 1, maxBatch: 2, inFlight: 2 },
  );
  const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => b.submit(x)));
  assert.deepEqual(answers, [-1, -2, -3, -4, -5, -6]);
  assert.deepEqual(batches, [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.equal(most, 2);
});
