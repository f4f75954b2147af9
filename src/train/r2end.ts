import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainLength, type Dataset } from '../data/dataset.js';
import { itemText } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { EngineEncoder } from '../encoder/engine-encoder.js';
import { loadEncoder } from '../encoder/load.js';
import { resolvePrecision } from '../engine/native.js';
import { ProjectionHead } from '../engine/projection.js';
import { Random } from '../engine/random.js';
import { topK } from '../engine/topk.js';
import { loadTeacherOutputs, type TeacherOutputs } from '../teacher/outputs.js';
import { Progress } from '../util/progress.js';
import { check } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import { writeModelCard } from './model-card.js';
import type { TrainingRecord } from './record.js';
import { StageRunner, writeAtomic } from './stages.js';
import { historyText, itemTexts, prefix, withMetadata } from './texts.js';
import { loadMatrix, normalizeRows, rowDistances, saveMatrices } from './vectors.js';

export interface TrainRun {
  /** The model's folder name under WORK/models. */
  name: string;
  log: (line: string) => void;
  /** No progress bars (tests). */
  silent?: boolean;
}

/** What a trained R2END model folder holds besides weights (`bundle.json`). */
export interface BundleInfo {
  /** `student` (fine-tuned, in ./student) or the pretrained encoder's spec. */
  encoder: string;
  maxTokens?: number;
  projection: boolean;
  verbalize: TrainConfig['verbalize'];
  dataset: string;
  items: number;
  dim: number;
}

/** A user's pair for learning: the history before `end` and the item at `end`. */
interface Pair {
  user: number;
  end: number;
}

const ITEMS_FILE = 'items.safetensors';

/**
 * The whole R2END method (paper section 3, appendix D), stage by stage and resumable:
 * reasoning targets with the frozen encoder, MSE distillation of the student, alignment study,
 * item embeddings, user embeddings, projection with InfoNCE + L_reg and early stopping, bundle.
 */
export async function trainR2END(ws: Workspace, ds: Dataset, cfg: TrainConfig, run: TrainRun): Promise<TrainingRecord> {
  const dir = ws.path('models', run.name);
  const stages = new StageRunner(dir, run.log);
  const v = cfg.verbalize;
  const teacher = loadTeacherOutputs(ws, cfg.teacher, ds);
  const precision = resolvePrecision(cfg.precision, cfg.device);
  const loadOptions = { maxTokens: cfg.maxTokens, device: cfg.device, precision };
  let pretrainedEncoder: EngineEncoder | undefined;
  const pretrained = () => (pretrainedEncoder ??= loadEncoder(cfg.encoder, loadOptions));
  const studentDir = join(dir, 'student');
  const fineTunes = cfg.ablation !== 'frozen-encoder';
  let studentEncoder: EngineEncoder | undefined;
  const student = () => (studentEncoder ??= fineTunes ? loadEncoder(studentDir, loadOptions) : pretrained());
  const progress = (label: string, total: number, unit: string) =>
    new Progress(label, total, { unit, silent: run.silent });
  const encodeAll = async (enc: EngineEncoder, texts: string[], label: string) => {
    const bar = progress(label, texts.length, 'texts');
    const out = await enc.encode(texts, { onProgress: (done) => bar.set(done) });
    bar.finish();
    return out;
  };

  const { distilled, heldOut } = distillationUsers(ds, teacher, cfg);
  check(
    distilled.length > 0,
    `no training user has a reasoning text from teacher ${teacher.teacher.label}; run \`r2end teach\` first`,
  );
  const target = (u: number) => {
    const item = ds.items[ds.sequences[u][trainLength(ds, u) - 1]];
    const meta = itemText(item, v.fields);
    return cfg.ablation === 'no-reasoning' ? meta : withMetadata(meta, teacher.reasoning.get(u));
  };
  const input = (u: number) => historyText(ds, prefix(ds, u, trainLength(ds, u) - 1), v);
  const targetsFile = join(dir, 'targets.safetensors');
  const encoding = {
    encoder: cfg.encoder,
    maxTokens: cfg.maxTokens,
    precision,
    teacher: teacher.teacher,
    ablation: cfg.ablation,
    seed: cfg.seed,
  };
  const common = { ...encoding, verbalize: v };

  // The targets depend on who is distilled and on the target texts, not on how the student
  // learns or how histories are written: a distillation or history sweep reuses them.
  const targetSettings = {
    ...encoding,
    fields: v.fields,
    ratio: cfg.distill.ratio,
    alignmentUsers: cfg.distill.alignmentUsers,
  };
  await stages.run('targets', targetSettings, async () => {
    const users = [...distilled, ...heldOut];
    const e = await encodeAll(pretrained(), users.map(target), 'targets: encode R_u + M_target');
    saveMatrices(targetsFile, { targets: { rows: users.length, cols: pretrained().dim, data: e } });
  });

  const curves: TrainingRecord['curves'] = { distill: [], projection: [] };
  const distillCurveFile = join(dir, 'distill-curve.json');
  if (fineTunes) {
    await stages.run('distill', { ...common, distill: cfg.distill }, async () => {
      const targets = loadMatrix(targetsFile, 'targets');
      const enc = loadEncoder(cfg.encoder, loadOptions);
      const d = cfg.distill;
      const steps = Math.ceil((d.epochs * distilled.length) / d.batchSize);
      const trainer = enc.trainer({
        learningRate: d.lr,
        weightDecay: d.weightDecay,
        warmupSteps: Math.round(d.warmupRatio * steps),
        totalSteps: steps,
        maxGradNorm: d.clip,
        freezeEmbeddings: d.freezeEmbeddings,
        freezeLayers: d.freezeLayers,
      });
      const rng = new Random(cfg.seed + 1);
      const bar = progress('distill', steps, 'steps');
      const logEvery = Math.max(1, Math.floor(steps / 200));
      let order: number[] = [];
      let sum = 0;
      for (let step = 0; step < steps; step++) {
        if (order.length < d.batchSize) order = order.concat(rng.shuffle(distilled.map((_, i) => i)));
        const batch = order.splice(0, d.batchSize);
        const t = new Float32Array(batch.length * enc.dim);
        batch.forEach((row, r) => t.set(targets.data.subarray(row * enc.dim, (row + 1) * enc.dim), r * enc.dim));
        sum += await trainer.step(
          batch.map((row) => input(distilled[row])),
          t,
        );
        if ((step + 1) % logEvery === 0 || step === steps - 1) {
          curves.distill.push({ step: step + 1, loss: sum / ((step % logEvery) + 1) });
          sum = 0;
        }
        bar.tick(1, { texts: batch.length });
      }
      bar.finish();
      rmSync(studentDir, { recursive: true, force: true });
      enc.save(studentDir);
      writeAtomic(distillCurveFile, JSON.stringify(curves.distill));
    });
    if (existsSync(distillCurveFile)) curves.distill = JSON.parse(readFileSync(distillCurveFile, 'utf8'));
  }

  const alignmentFile = join(dir, 'alignment.json');
  if (fineTunes && heldOut.length > 0) {
    await stages.run('alignment', { ...common, distill: cfg.distill }, async () => {
      const targets = loadMatrix(targetsFile, 'targets');
      const held = targets.data.subarray(distilled.length * targets.cols);
      const texts = heldOut.map(input);
      const before = rowDistances(await encodeAll(pretrained(), texts, 'alignment: pretrained'), held, targets.cols);
      const after = rowDistances(await encodeAll(student(), texts, 'alignment: student'), held, targets.cols);
      writeAtomic(alignmentFile, JSON.stringify({ users: heldOut.length, before, after }));
    });
  }

  const itemsFile = join(dir, ITEMS_FILE);
  await stages.run('items', common, async () => {
    const e = await encodeAll(pretrained(), itemTexts(ds, teacher.descriptions, v), 'items: encode D_i + M_i');
    saveMatrices(itemsFile, { e: { rows: ds.items.length, cols: pretrained().dim, data: e } });
  });

  const usersFile = join(dir, 'users.safetensors');
  const trainPairs = projectionPairs(ds, cfg.projection.examples);
  const validUsers = sample(
    ds.userIds.map((_, u) => u),
    cfg.projection.validUsers,
    cfg.seed + 2,
  );
  const validPairs = validUsers.map((user) => ({ user, end: ds.sequences[user].length - 2 }));
  const pairText = (p: Pair) => historyText(ds, prefix(ds, p.user, p.end), v);
  await stages.run(
    'users',
    { ...common, distill: cfg.distill, examples: cfg.projection.examples, validUsers: cfg.projection.validUsers },
    async () => {
      const enc = student();
      const train = await encodeAll(enc, trainPairs.map(pairText), 'users: encode training histories');
      const valid = await encodeAll(enc, validPairs.map(pairText), 'users: encode validation histories');
      saveMatrices(usersFile, {
        train: { rows: trainPairs.length, cols: enc.dim, data: train },
        valid: { rows: validPairs.length, cols: enc.dim, data: valid },
      });
    },
  );

  const projectionDir = join(dir, 'projection');
  const projectionCurveFile = join(dir, 'projection-curve.json');
  const projects = cfg.ablation !== 'no-projection';
  if (projects) {
    await stages.run('project', { ...common, distill: cfg.distill, projection: cfg.projection }, async () => {
      const p = cfg.projection;
      const items = loadMatrix(itemsFile, 'e');
      const users = loadMatrix(usersFile, 'train');
      const valid = loadMatrix(usersFile, 'valid');
      const head = ProjectionHead.create(
        {
          inDim: items.cols,
          outDim: p.dim,
          temperature: p.tau,
          regularization: cfg.ablation === 'no-reg' ? 0 : p.lambda,
        },
        { seed: cfg.seed, device: cfg.device, precision: p.precision },
      );
      head.setItems(items.data);
      const trainer = head.trainer({ learningRate: p.lr });
      const negativeCount = p.negatives === 'all' ? items.rows : p.negatives;
      const rng = new Random(cfg.seed + 3);
      const positives = Int32Array.from(trainPairs, (pair) => ds.sequences[pair.user][pair.end]);
      const validTargets = validPairs.map((pair) => ds.sequences[pair.user][pair.end]);
      let best = -1;
      let stale = 0;
      for (let epoch = 1; epoch <= p.epochs && stale < p.patience; epoch++) {
        const order = rng.shuffle(trainPairs.map((_, i) => i));
        const bar = progress(`project epoch ${epoch}/${p.epochs}`, order.length, 'pairs');
        let loss = 0;
        let batches = 0;
        for (let b = 0; b < order.length; b += p.batchSize) {
          const rows = order.slice(b, b + p.batchSize);
          const x = new Float32Array(rows.length * users.cols);
          rows.forEach((row, r) =>
            x.set(users.data.subarray(row * users.cols, (row + 1) * users.cols), r * users.cols),
          );
          const pos = Int32Array.from(rows, (row) => positives[row]);
          const negatives =
            p.negativeSharing === 'shared'
              ? distinctItems(rng, negativeCount, items.rows)
              : sampleNegatives(rng, pos, negativeCount, items.rows);
          loss += await trainer.step(x, pos, negatives, p.negativeSharing);
          batches++;
          bar.tick(rows.length);
        }
        bar.finish();
        const ndcg = await validationNdcg10(head, items.data, valid.data, validTargets);
        curves.projection.push({ epoch, loss: loss / batches, validNdcg10: ndcg });
        run.log(`project epoch ${epoch}: loss ${(loss / batches).toFixed(4)}, validation NDCG@10 ${ndcg.toFixed(4)}`);
        if (ndcg > best) {
          best = ndcg;
          stale = 0;
          head.save(projectionDir);
        } else stale++;
      }
      writeAtomic(projectionCurveFile, JSON.stringify(curves.projection));
    });
    curves.projection = JSON.parse(readFileSync(projectionCurveFile, 'utf8'));
  }

  const record: TrainingRecord = {
    model: run.name,
    created: new Date().toISOString(),
    dataset: ds.name,
    teacher: {
      backend: teacher.teacher.backend,
      model: teacher.teacher.model,
      mode: teacher.teacher.mode,
      label: teacher.teacher.label,
      isLLM: teacher.teacher.isLLM,
    },
    encoder: cfg.encoder,
    precision,
    ablation: cfg.ablation,
    config: cfg as unknown as Record<string, unknown>,
    counts: {
      distilledUsers: distilled.length,
      alignmentUsers: heldOut.length,
      reasoningTexts: teacher.reasoning.size,
      itemDescriptions: teacher.descriptions.size,
      projectionPairs: trainPairs.length,
      validationUsers: validPairs.length,
      items: ds.items.length,
    },
    curves,
    alignment: existsSync(alignmentFile) ? JSON.parse(readFileSync(alignmentFile, 'utf8')) : undefined,
    seconds: stages.seconds,
  };

  await stages.run('bundle', { ...common, distill: cfg.distill, projection: cfg.projection }, async () => {
    const items = loadMatrix(itemsFile, 'e');
    const z = projects
      ? await ProjectionHead.load(projectionDir, { device: cfg.device }).project(items.data)
      : Float32Array.from(items.data);
    const zDim = projects ? cfg.projection.dim : items.cols;
    saveMatrices(join(dir, 'index.safetensors'), { z: { rows: items.rows, cols: zDim, data: normalizeRows(z, zDim) } });
    writeAtomic(join(dir, 'item_ids.json'), JSON.stringify(ds.items.map((it) => it.id)));
    const bundle: BundleInfo = {
      encoder: fineTunes ? 'student' : cfg.encoder,
      maxTokens: cfg.maxTokens,
      projection: projects,
      verbalize: v,
      dataset: ds.name,
      items: items.rows,
      dim: zDim,
    };
    writeAtomic(join(dir, 'bundle.json'), `${JSON.stringify(bundle, null, 2)}\n`);
  });
  record.seconds = stages.seconds;
  writeAtomic(join(dir, 'training.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dir, 'MODEL.md'), writeModelCard(record));
  return record;
}

/**
 * Training users whose reasoning is distilled, and a held-out group for the alignment study.
 * A user needs two training items (a history and a target). With `ratio` < 1 a seeded subset
 * is distilled (paper appendix H.1); the held-out users are never distilled.
 */
export function distillationUsers(
  ds: Dataset,
  teacher: TeacherOutputs,
  cfg: TrainConfig,
): { distilled: number[]; heldOut: number[] } {
  const needsReasoning = cfg.ablation !== 'no-reasoning';
  const candidates = ds.userIds
    .map((_, u) => u)
    .filter((u) => trainLength(ds, u) >= 2 && (!needsReasoning || teacher.reasoning.has(u)));
  const shuffled = new Random(cfg.seed).shuffle([...candidates]);
  const held = Math.min(cfg.distill.alignmentUsers, Math.floor(0.05 * shuffled.length));
  const rest = shuffled.slice(held);
  const distilled = rest.slice(0, Math.ceil(cfg.distill.ratio * rest.length)).sort((a, b) => a - b);
  return { distilled, heldOut: shuffled.slice(0, held).sort((a, b) => a - b) };
}

/** (history, next item) pairs from the training part of every sequence. */
function projectionPairs(ds: Dataset, examples: 'last' | 'all'): Pair[] {
  const pairs: Pair[] = [];
  ds.sequences.forEach((_, user) => {
    const n = trainLength(ds, user);
    for (let end = examples === 'all' ? 1 : n - 1; end <= n - 1; end++) if (end >= 1) pairs.push({ user, end });
  });
  return pairs;
}

/** `count` elements drawn without replacement by a seeded shuffle (all when count is 0). */
function sample(all: number[], count: number, seed: number): number[] {
  if (count === 0 || count >= all.length) return all;
  return new Random(seed)
    .shuffle([...all])
    .slice(0, count)
    .sort((a, b) => a - b);
}

/** Uniformly sampled negative items per positive, never the positive itself. */
function sampleNegatives(rng: Random, positives: Int32Array, n: number, items: number): Int32Array {
  const out = new Int32Array(positives.length * n);
  for (let r = 0; r < positives.length; r++) {
    for (let j = 0; j < n; j++) {
      let x = rng.int(items);
      while (x === positives[r] && items > 1) x = rng.int(items);
      out[r * n + j] = x;
    }
  }
  return out;
}

/** n distinct items drawn uniformly (all items when there are fewer). */
function distinctItems(rng: Random, n: number, items: number): Int32Array {
  if (n >= items) return Int32Array.from({ length: items }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < n) picked.add(rng.int(items));
  return Int32Array.from(picked);
}

/** Validation NDCG@10 of a projection: full ranking by cosine, ties by lower item index. */
async function validationNdcg10(
  head: ProjectionHead,
  items: Float32Array,
  users: Float32Array,
  targets: number[],
): Promise<number> {
  const zi = await head.project(items);
  const zu = await head.project(users);
  const dim = head.config.outDim;
  const top = await topK(zu, zi, dim, 10, { metric: 'cosine' });
  let sum = 0;
  targets.forEach((t, r) => {
    for (let k = 0; k < 10; k++) if (top.indices[r * 10 + k] === t) sum += 1 / Math.log2(k + 2);
  });
  return sum / Math.max(targets.length, 1);
}
