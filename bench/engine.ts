/**
 * Engine benchmark: encode and training-step throughput at 128 tokens, batch 16, for USE-lite
 * and for MiniLM- and bge-base-shaped BERTs with random weights (real MiniLM tokenizer), in
 * float32 and, where the CPU has it natively, bfloat16 mixed precision (same run, so the ratio
 * is fair) with the cosine between the two precisions' embeddings; the achieved FLOP rate as a
 * fraction of one large float32 matmul measured in the same run; peak RSS; and top-K of 22,363
 * queries x 12,101 items x 512 dims. Prints one JSON object on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncoder } from '../src/encoder/load.js';
import { writeRandomBert, type RandomBertShape } from '../testing/random-bert.js';
import type { EngineEncoder } from '../src/encoder/engine-encoder.js';
import { cpuHasBf16, engine, type Precision } from '../src/engine/native.js';
import { Random } from '../src/engine/random.js';
import { topK } from '../src/engine/topk.js';
import { sharedDir } from '../src/util/paths.js';
import { round } from './numbers.js';

const tokens = 128;
const batch = 16;
const tokenizerDir = sharedDir('models', 'all-MiniLM-L6-v2-tokenizer');

/** Texts long enough that every one is cut to exactly 128 tokens. */
function longTexts(n: number): string[] {
  const words = [
    'hiking',
    'boots',
    'tent',
    'espresso',
    'novel',
    'puzzle',
    'headphones',
    'yoga',
    'mat',
    'cookbook',
    'pasta',
    'running',
    'shoes',
  ];
  const random = new Random(3);
  return Array.from({ length: n }, () => Array.from({ length: 400 }, () => words[random.int(words.length)]).join(' '));
}

/** Multiply-accumulate FLOPs of one forward pass over one sequence of t tokens. */
interface FlopModel {
  forwardFlops(t: number): number;
}

function bertFlops(shape: RandomBertShape): FlopModel {
  const h = shape.hiddenSize;
  return { forwardFlops: (t) => shape.layers * (2 * t * (4 * h * h + 2 * h * shape.intermediateSize) + 4 * t * t * h) };
}

const useLiteFlops: FlopModel = {
  forwardFlops: (t) => {
    const layer0 = 2 * t * (256 * 768 + 256 * 512 + 256 * 512 + 2 * 512 * 1536) + 4 * t * t * 256;
    const layer1 = 2 * t * (512 * 1536 + 512 * 512 + 2 * 512 * 1536) + 4 * t * t * 512;
    return layer0 + layer1 + 2 * 512 * 512;
  },
};

/** Wall seconds and process CPU seconds (user + system) of a run. */
async function timed(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

async function measure(
  encoder: EngineEncoder,
  flops: FlopModel,
  peakFlopsPerCpuSecond: number,
  encodeBatches: number,
  trainSteps: number,
) {
  const texts = longTexts(batch * encodeBatches);
  await encoder.encode(texts.slice(0, batch), { batchSize: batch }); // warm-up
  let embeddings: Float32Array = new Float32Array();
  const encodeTime = await timed(async () => (embeddings = await encoder.encode(texts, { batchSize: batch })));
  const encodeRate = texts.length / encodeTime.wall;
  const trainer = encoder.trainer({ learningRate: 1e-5 });
  const targets = new Random(4).normals(batch * encoder.dim, 0.05);
  await trainer.step(texts.slice(0, batch), targets); // warm-up (allocates optimiser state)
  const trainTime = await timed(async () => {
    for (let s = 0; s < trainSteps; s++)
      await trainer.step(texts.slice((s % encodeBatches) * batch, ((s % encodeBatches) + 1) * batch), targets);
  });
  const trainRate = (trainSteps * batch) / trainTime.wall;
  const forward = flops.forwardFlops(tokens);
  return {
    embeddings,
    encode_seq_per_s: round(encodeRate),
    train_seq_per_s: round(trainRate),
    // Sequences per CPU-second: comparable across runs when other processes share the cores.
    encode_seq_per_cpu_s: round(texts.length / encodeTime.cpu),
    train_seq_per_cpu_s: round((trainSteps * batch) / trainTime.cpu),
    encode_cpu_per_wall: round(encodeTime.cpu / encodeTime.wall),
    train_cpu_per_wall: round(trainTime.cpu / trainTime.wall),
    // FLOPs per CPU-second relative to the matmul's FLOPs per CPU-second (robust to other load);
    // training counts forward + backward as 3x the forward FLOPs.
    encode_flop_fraction: round(((texts.length / encodeTime.cpu) * forward) / peakFlopsPerCpuSecond, 3),
    train_flop_fraction: round((((trainSteps * batch) / trainTime.cpu) * 3 * forward) / peakFlopsPerCpuSecond, 3),
    peak_rss_mb: peakRssMb(),
  };
}

/** The encoder measured in float32 and, where the CPU has native bfloat16, in mixed precision. */
async function measurePrecisions(
  load: (precision: Precision) => EngineEncoder,
  flops: FlopModel,
  peakFlopsPerCpuSecond: number,
  rounds: number,
) {
  const precisions: Precision[] = cpuHasBf16() ? ['float32', 'bfloat16'] : ['float32'];
  const out: Record<string, unknown> = {};
  const embeddings: Float32Array[] = [];
  const rates: Array<{ encode: number; train: number }> = [];
  for (const precision of precisions) {
    const encoder = load(precision);
    const { embeddings: e, ...measured } = await measure(encoder, flops, peakFlopsPerCpuSecond, rounds, rounds);
    out[precision] = measured;
    embeddings.push(e);
    rates.push({ encode: measured.encode_seq_per_s, train: measured.train_seq_per_s });
  }
  if (embeddings.length === 2) {
    const dim = embeddings[0].length / (batch * rounds);
    out.bfloat16_over_float32 = {
      encode: round(rates[1].encode / rates[0].encode),
      train: round(rates[1].train / rates[0].train),
    };
    out.bfloat16_cosine_to_float32_min = round(minRowCosine(embeddings[0], embeddings[1], dim), 5);
  }
  return out;
}

function minRowCosine(a: Float32Array, b: Float32Array, dim: number): number {
  let worst = 1;
  for (let r = 0; r < a.length / dim; r++) {
    let dot = 0;
    let x = 0;
    let y = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) {
      dot += a[k] * b[k];
      x += a[k] * a[k];
      y += b[k] * b[k];
    }
    worst = Math.min(worst, dot / Math.sqrt(x * y));
  }
  return worst;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const info = engine().info();
const loadBefore = loadavg()[0];
/** One large matmul: FLOPs per wall second and per CPU-second of this process. */
async function matmulPeak(): Promise<{ wall: number; perCpuSecond: number }> {
  const repeats = 10;
  let wall = 0;
  const time = await timed(async () => (wall = await engine().matmulBenchmark(2048, repeats, {})));
  return { wall, perCpuSecond: (2 * 2048 ** 3 * (repeats + 1)) / time.cpu };
}

// The best of several matmul runs is the reference: other processes only ever slow it down.
const matmulRuns = [await matmulPeak(), await matmulPeak()];
const peakFlops = Math.max(...matmulRuns.map((m) => m.wall));
const peakFlopsPerCpuSecond = Math.max(...matmulRuns.map((m) => m.perCpuSecond));
const work = mkdtempSync(join(tmpdir(), 'r2end-bench-'));
const shapes: Record<string, RandomBertShape> = {
  minilm: { hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, normalize: true },
  bge_base: { hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072, pooling: 'cls', normalize: true },
};
try {
  const result: Record<string, unknown> = {
    torch: info.torchVersion,
    threads: info.threads,
    cores: cpus().length,
    tokens,
    batch,
    matmul_2048_gflops: round(peakFlops / 1e9, 1),
    matmul_2048_gflops_per_cpu_s: round(peakFlopsPerCpuSecond / 1e9, 1),
    // Other processes on the machine: a 1-minute load above the core count means shared cores.
    load_average_1m_at_start: round(loadBefore),
  };
  const load = (spec: string) => (precision: Precision) =>
    loadEncoder(spec, { maxTokens: tokens, precision, onWarning: () => {} });
  result.use_lite = await measurePrecisions(load('use-lite'), useLiteFlops, peakFlopsPerCpuSecond, 8);
  for (const [name, shape] of Object.entries(shapes)) {
    const dir = join(work, name);
    writeRandomBert(dir, tokenizerDir, shape);
    result[name] = await measurePrecisions(
      load(dir),
      bertFlops(shape),
      peakFlopsPerCpuSecond,
      shape.hiddenSize > 384 ? 2 : 6,
    );
  }
  const random = new Random(9);
  const queries = random.normals(22363 * 512, 1);
  const items = random.normals(12101 * 512, 1);
  const exclude = Array.from({ length: 22363 }, () => Array.from({ length: 8 }, () => random.int(12101)));
  const topkTime = await timed(() => topK(queries, items, 512, 20, { exclude }));
  result.topk = {
    queries: 22363,
    items: 12101,
    dim: 512,
    k: 20,
    excluded_per_query: 8,
    seconds: round(topkTime.wall, 3),
    cpu_seconds: round(topkTime.cpu, 3),
  };
  result.peak_rss_mb = peakRssMb();
  result.load_average_1m_at_end = round(loadavg()[0]);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
