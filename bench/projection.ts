/**
 * The R2END projection's training step at beauty's size (batch 128 users, 512 -> 512, 12,101
 * items): milliseconds per step with the paper's 99 shared negatives and with every item as a
 * negative, in float32 and bfloat16 compute. The precisions alternate round by round in one run,
 * so their ratio is fair on a shared machine. Prints one JSON object on stdout.
 */
import { loadavg } from 'node:os';
import { cpuHasBf16, type Precision } from '../src/engine/native.js';
import { ProjectionHead } from '../src/engine/projection.js';
import { Random } from '../src/engine/random.js';
import { round } from './numbers.js';

const items = 12101,
  dim = 512,
  batch = 128,
  rounds = 6,
  stepsPerRound = 4;
const random = new Random(11);
const itemMatrix = random.normals(items * dim, 1);
const precisions: Precision[] = cpuHasBf16() ? ['float32', 'bfloat16'] : ['float32'];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function measure(negatives: number): Promise<Record<string, unknown>> {
  const trainers = precisions.map((precision) => {
    const head = ProjectionHead.create({ inDim: dim, outDim: dim }, { seed: 1, precision });
    head.setItems(itemMatrix);
    return head.trainer({ learningRate: 1e-4 });
  });
  const shared =
    negatives >= items
      ? Int32Array.from({ length: items }, (_, i) => i)
      : Int32Array.from({ length: negatives }, () => random.int(items));
  const times: number[][] = precisions.map(() => []);
  // Round 0 warms up every precision and is not counted.
  for (let r = 0; r <= rounds; r++) {
    for (let p = 0; p < precisions.length; p++) {
      const start = performance.now();
      for (let s = 0; s < stepsPerRound; s++) {
        const users = random.normals(batch * dim, 1);
        const positives = Int32Array.from({ length: batch }, () => random.int(items));
        await trainers[p].step(users, positives, shared, 'shared');
      }
      if (r > 0) times[p].push((performance.now() - start) / stepsPerRound);
    }
  }
  const out: Record<string, unknown> = { negatives: Math.min(negatives, items) };
  precisions.forEach((precision, p) => (out[`${precision}_ms_per_step`] = round(median(times[p]), 1)));
  if (precisions.length === 2) out.bfloat16_speedup = round(median(times[0]) / median(times[1]));
  return out;
}

const result = {
  items,
  dim,
  batch,
  rounds,
  steps_per_round: stepsPerRound,
  load_average_1m_at_start: round(loadavg()[0]),
  paper_99_negatives: await measure(99),
  every_item: await measure(items),
  load_average_1m_at_end: round(loadavg()[0]),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
