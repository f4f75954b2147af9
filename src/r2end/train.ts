/**
 * The whole R2END method, stage by stage and resumable: reasoning targets with the frozen
 * encoder, MSE distillation of the student, alignment study, item embeddings, user embeddings,
 * projection with InfoNCE + L_reg selected on validation, bundle. Each stage is one function over
 * a shared context; the StageRunner records a stage as finished only after its outputs exist.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFingerprint, trainLength, type Dataset } from '../data/dataset.js';
import { itemText } from '../data/verbalize.js';
import type { Workspace } from '../data/workspace.js';
import type { EngineEncoder } from '../encoder/engine-encoder.js';
import { loadEncoder } from '../encoder/load.js';
import { resolvePrecision } from '../engine/native.js';
import { ProjectionHead } from '../engine/projection.js';
import { Random } from '../engine/random.js';
import { ItemMatrix } from '../engine/topk.js';
import { evaluateScorer } from '../eval/evaluate.js';
import { latestTestEvaluation } from '../eval/results.js';
import { freshSelection, trainWithSelection } from '../eval/selection.js';
import { writeAtomic } from '../io/atomic.js';
import { loadMatrix, saveMatrices } from '../io/matrices.js';
import { publishChanged, resolvePublished, stagingDir } from '../io/publish.js';
import { StageRunner } from '../io/stages.js';
import { loadTeacherOutputs, textsDigest, type TeacherOutputs } from '../teacher/outputs.js';
import { check } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { readJsonFile } from '../util/json-file.js';
import { FILES, type BundleInfo } from './bundle.js';
import type { TrainConfig } from './config.js';
import { saveModelCard } from './model-card.js';
import type { TrainingRecord } from './record.js';
import { historyText, itemTexts, prefix, withMetadata } from './texts.js';
import { normalizeRows, rowDistances } from './vectors.js';

export interface TrainRun {
  /** The model's folder name under WORK/models. */
  name: string;
  log: (line: string) => void;
  /** No progress bars (tests). */
  silent?: boolean;
}

/** A user's pair for learning: the history before `end` and the item at `end`. */
interface Pair {
  user: number;
  end: number;
}

/** What every stage reads: the data, the settings, the encoders (loaded once, on first use), the users. */
interface Context {
  ws: Workspace;
  ds: Dataset;
  cfg: TrainConfig;
  run: TrainRun;
  dir: string;
  stages: StageRunner;
  teacher: TeacherOutputs;
  precision: 'float32' | 'bfloat16';
  /** The frozen pretrained encoder (targets, items, alignment "before"). */
  pretrained(): EngineEncoder;
  /** The distilled student (the pretrained encoder in the frozen-encoder ablation). */
  student(): EngineEncoder;
  fineTunes: boolean;
  projects: boolean;
  distilled: number[];
  heldOut: number[];
  trainPairs: Pair[];
  validPairs: Pair[];
  /** Settings every stage after the targets depends on. */
  common: Record<string, unknown>;
  curves: TrainingRecord['curves'];
  file(name: keyof typeof FILES): string;
}

export async function trainR2END(ws: Workspace, ds: Dataset, cfg: TrainConfig, run: TrainRun): Promise<TrainingRecord> {
  const ctx = context(ws, ds, cfg, run);
  await targetsStage(ctx);
  await distillStage(ctx);
  await alignmentStage(ctx);
  await itemsStage(ctx);
  await usersStage(ctx);
  await projectStage(ctx);
  const record = await bundleStage(ctx);
  if (publishChanged(ws, run.name, record.created)) return record;
  run.log(`${run.name}: every stage was done, the published version stays`);
  return readJsonFile<TrainingRecord>(join(resolvePublished(ws, run.name)!, FILES.record), 'the training record');
}

function context(ws: Workspace, ds: Dataset, cfg: TrainConfig, run: TrainRun): Context {
  const teacher = loadTeacherOutputs(ws, cfg.teacher, ds);
  const precision = resolvePrecision(cfg.precision, cfg.device);
  const loadOptions = { maxTokens: cfg.maxTokens, device: cfg.device, precision };
  const fineTunes = cfg.ablation !== 'frozen-encoder';
  let pretrained: EngineEncoder | undefined;
  let student: EngineEncoder | undefined;
  const { distilled, heldOut } = distillationUsers(ds, teacher, cfg);
  check(
    distilled.length > 0,
    `no training user has a reasoning text from teacher ${teacher.teacher.label}; run \`r2end teach\` first`,
  );
  const validUsers = sample(
    ds.userIds.map((_, u) => u),
    cfg.projection.validUsers,
    cfg.seed + 2,
  );
  // Readers see the published version until this run publishes the next one; made only once the
  // inputs are known to be there, so a refused train leaves nothing behind.
  const dir = stagingDir(ws, run.name);
  const ctx: Context = {
    ws,
    ds,
    cfg,
    run,
    dir,
    stages: new StageRunner(dir, run.log),
    teacher,
    precision,
    pretrained: () => (pretrained ??= loadEncoder(cfg.encoder, loadOptions)),
    student: () => (student ??= fineTunes ? loadEncoder(join(dir, FILES.student), loadOptions) : ctx.pretrained()),
    fineTunes,
    projects: cfg.ablation !== 'no-projection',
    distilled,
    heldOut,
    trainPairs: projectionPairs(ds, cfg.projection.examples),
    validPairs: validUsers.map((user) => ({ user, end: ds.sequences[user].length - 2 })),
    common: {
      // Other data means other item and user indices: every stage runs again.
      data: datasetFingerprint(ds),
      encoder: cfg.encoder,
      maxTokens: cfg.maxTokens,
      precision,
      // The texts themselves, not only whose they are: a new import under the same name reruns.
      teacher: { ...teacher.teacher, texts: textsDigest(teacher) },
      ablation: cfg.ablation,
      seed: cfg.seed,
      verbalize: cfg.verbalize,
    },
    curves: { distill: [], projection: [] },
    file: (name) => join(dir, FILES[name]),
  };
  return ctx;
}

function progress(ctx: Context, label: string, total: number, unit: string): Progress {
  return new Progress(label, total, { unit, silent: ctx.run.silent });
}

async function encodeAll(ctx: Context, enc: EngineEncoder, texts: string[], label: string): Promise<Float32Array> {
  const bar = progress(ctx, label, texts.length, 'texts');
  const out = await enc.encode(texts, { onProgress: (done) => bar.set(done) });
  bar.finish();
  return out;
}

/** The student's input for a distilled user: the training history before its last training item. */
function studentInput(ctx: Context, u: number): string {
  return historyText(ctx.ds, prefix(ctx.ds, u, trainLength(ctx.ds, u) - 1), ctx.cfg.verbalize);
}

/** e_u^R = Enc(M_target ⊕ R_u) for the distilled users, then the held-out ones; their ids in the metadata. */
async function targetsStage(ctx: Context): Promise<void> {
  const { ds, cfg, teacher } = ctx;
  const target = (u: number) => {
    const item = ds.items[ds.sequences[u][trainLength(ds, u) - 1]];
    const meta = itemText(item, cfg.verbalize.fields);
    return cfg.ablation === 'no-reasoning' ? meta : withMetadata(meta, teacher.reasoning.get(u));
  };
  // The targets depend on who is distilled and on the target texts, not on how the student
  // learns or how histories are written: a distillation or history sweep reuses them.
  const { verbalize: _, ...encoding } = ctx.common;
  const settings = {
    ...encoding,
    fields: cfg.verbalize.fields,
    ratio: cfg.distill.ratio,
    alignmentUsers: cfg.distill.alignmentUsers,
  };
  await ctx.stages.run('targets', settings, [ctx.file('targets')], async () => {
    const users = [...ctx.distilled, ...ctx.heldOut];
    const e = await encodeAll(ctx, ctx.pretrained(), users.map(target), 'targets: encode R_u + M_target');
    saveMatrices(
      ctx.file('targets'),
      { targets: { rows: users.length, cols: ctx.pretrained().dim, data: e } },
      { users: JSON.stringify(users.map((u) => ds.userIds[u])) },
    );
  });
}

/** The student learns Enc_S(H_u) ≈ e_u^R under MSE. */
async function distillStage(ctx: Context): Promise<void> {
  if (!ctx.fineTunes) return;
  const { cfg, distilled } = ctx;
  const outputs = [ctx.file('student'), ctx.file('distillCurve')];
  await ctx.stages.run('distill', { ...ctx.common, distill: cfg.distill }, outputs, async () => {
    const targets = loadMatrix(ctx.file('targets'), 'targets');
    const enc = loadEncoder(cfg.encoder, { maxTokens: cfg.maxTokens, device: cfg.device, precision: ctx.precision });
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
    const bar = progress(ctx, 'distill', steps, 'steps');
    const logEvery = Math.max(1, Math.floor(steps / 200));
    let order: number[] = [];
    let sum = 0;
    for (let step = 0; step < steps; step++) {
      if (order.length < d.batchSize) order = order.concat(rng.shuffle(distilled.map((_, i) => i)));
      const batch = order.splice(0, d.batchSize);
      const t = new Float32Array(batch.length * enc.dim);
      batch.forEach((row, r) => t.set(targets.data.subarray(row * enc.dim, (row + 1) * enc.dim), r * enc.dim));
      sum += await trainer.step(
        batch.map((row) => studentInput(ctx, distilled[row])),
        t,
      );
      if ((step + 1) % logEvery === 0 || step === steps - 1) {
        ctx.curves.distill.push({ step: step + 1, loss: sum / ((step % logEvery) + 1) });
        sum = 0;
      }
      bar.tick(1, { texts: batch.length });
    }
    bar.finish();
    rmSync(ctx.file('student'), { recursive: true, force: true });
    enc.save(ctx.file('student'));
    writeAtomic(ctx.file('distillCurve'), JSON.stringify(ctx.curves.distill));
  });
  if (existsSync(ctx.file('distillCurve')))
    ctx.curves.distill = JSON.parse(readFileSync(ctx.file('distillCurve'), 'utf8'));
}

/** Held-out users: distance of the pretrained and of the student embedding to e_u^R (paper appendix G). */
async function alignmentStage(ctx: Context): Promise<void> {
  if (!ctx.fineTunes || ctx.heldOut.length === 0) return;
  const settings = { ...ctx.common, distill: ctx.cfg.distill };
  await ctx.stages.run('alignment', settings, [ctx.file('alignment')], async () => {
    const targets = loadMatrix(ctx.file('targets'), 'targets');
    const held = targets.data.subarray(ctx.distilled.length * targets.cols);
    const texts = ctx.heldOut.map((u) => studentInput(ctx, u));
    const before = rowDistances(
      await encodeAll(ctx, ctx.pretrained(), texts, 'alignment: pretrained'),
      held,
      targets.cols,
    );
    const after = rowDistances(await encodeAll(ctx, ctx.student(), texts, 'alignment: student'), held, targets.cols);
    writeAtomic(ctx.file('alignment'), JSON.stringify({ users: ctx.heldOut.length, before, after }));
  });
}

/** e_i = Enc(M_i ⊕ D_i) with the frozen encoder. */
async function itemsStage(ctx: Context): Promise<void> {
  await ctx.stages.run('items', ctx.common, [ctx.file('items')], async () => {
    const texts = itemTexts(ctx.ds, ctx.teacher.descriptions, ctx.cfg.verbalize);
    const e = await encodeAll(ctx, ctx.pretrained(), texts, 'items: encode D_i + M_i');
    saveMatrices(ctx.file('items'), { e: { rows: ctx.ds.items.length, cols: ctx.pretrained().dim, data: e } });
  });
}

/** The student's embeddings of every training pair's history and of every validation history. */
async function usersStage(ctx: Context): Promise<void> {
  const { cfg, ds } = ctx;
  const settings = {
    ...ctx.common,
    distill: cfg.distill,
    examples: cfg.projection.examples,
    validUsers: cfg.projection.validUsers,
  };
  const pairText = (p: Pair) => historyText(ds, prefix(ds, p.user, p.end), cfg.verbalize);
  await ctx.stages.run('users', settings, [ctx.file('users')], async () => {
    const enc = ctx.student();
    const train = await encodeAll(ctx, enc, ctx.trainPairs.map(pairText), 'users: encode training histories');
    const valid = await encodeAll(ctx, enc, ctx.validPairs.map(pairText), 'users: encode validation histories');
    saveMatrices(ctx.file('users'), {
      train: { rows: ctx.trainPairs.length, cols: enc.dim, data: train },
      valid: { rows: ctx.validPairs.length, cols: enc.dim, data: valid },
    });
  });
}

/**
 * The projection f: InfoNCE over cosine / tau with sampled (or all) negatives plus L_reg, epoch
 * by epoch, validated through the evaluator like every other model; the best epoch is kept.
 */
async function projectStage(ctx: Context): Promise<void> {
  if (!ctx.projects) return;
  const { cfg, ds, run } = ctx;
  // `selection` names the model-selection rule, so a projection chosen by another rule reruns.
  const settings = { ...ctx.common, distill: cfg.distill, projection: cfg.projection, selection: 'evaluate' };
  await ctx.stages.run('project', settings, [ctx.file('projection'), ctx.file('projectionCurve')], async () => {
    const p = cfg.projection;
    const items = loadMatrix(ctx.file('items'), 'e');
    const users = loadMatrix(ctx.file('users'), 'train');
    const valid = loadMatrix(ctx.file('users'), 'valid');
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
    const positives = Int32Array.from(ctx.trainPairs, (pair) => ds.sequences[pair.user][pair.end]);
    const validRow = new Map(ctx.validPairs.map((pair, row) => [pair.user, row]));
    const validUsers = ctx.validPairs.map((pair) => pair.user);
    ctx.curves.projection = [];
    await trainWithSelection(p, freshSelection(), {
      train: async (epoch) => {
        const order = rng.shuffle(ctx.trainPairs.map((_, i) => i));
        const bar = progress(ctx, `project epoch ${epoch}/${p.epochs}`, order.length, 'pairs');
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
        return loss / batches;
      },
      validate: async () => {
        const zi = new ItemMatrix(await head.project(items.data), p.dim, { metric: 'cosine', device: cfg.device });
        const zu = await head.project(valid.data);
        const scorer = {
          name: run.name,
          describe: () => ({}),
          score: (batch: readonly number[]) => {
            const q = new Float32Array(batch.length * p.dim);
            batch.forEach((u, r) => {
              const row = validRow.get(u)!;
              q.set(zu.subarray(row * p.dim, (row + 1) * p.dim), r * p.dim);
            });
            return zi.scores(q);
          },
        };
        return evaluateScorer(scorer, ds, { split: 'valid', users: validUsers, silent: true });
      },
      onBest: () => head.save(ctx.file('projection')),
      onEpoch: (entry) => {
        ctx.curves.projection.push({ ...entry, validNdcg10: entry.validNdcg10! });
        run.log(
          `project epoch ${entry.epoch}: loss ${entry.loss.toFixed(4)}, validation NDCG@10 ${entry.validNdcg10!.toFixed(4)}`,
        );
      },
    });
    writeAtomic(ctx.file('projectionCurve'), JSON.stringify(ctx.curves.projection));
  });
  ctx.curves.projection = JSON.parse(readFileSync(ctx.file('projectionCurve'), 'utf8'));
}

/** Normalised z_i of every item, bundle.json, training.json and the model card. */
async function bundleStage(ctx: Context): Promise<TrainingRecord> {
  const { cfg, ds, teacher } = ctx;
  const record: TrainingRecord = {
    model: ctx.run.name,
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
    precision: ctx.precision,
    ablation: cfg.ablation,
    config: cfg as unknown as Record<string, unknown>,
    counts: {
      distilledUsers: ctx.distilled.length,
      alignmentUsers: ctx.heldOut.length,
      reasoningTexts: teacher.reasoning.size,
      itemDescriptions: teacher.descriptions.size,
      projectionPairs: ctx.trainPairs.length,
      validationUsers: ctx.validPairs.length,
      items: ds.items.length,
    },
    curves: ctx.curves,
    alignment: existsSync(ctx.file('alignment')) ? JSON.parse(readFileSync(ctx.file('alignment'), 'utf8')) : undefined,
    seconds: ctx.stages.seconds,
  };
  const settings = { ...ctx.common, distill: cfg.distill, projection: cfg.projection };
  const outputs = [ctx.file('index'), ctx.file('itemIds'), ctx.file('bundle')];
  await ctx.stages.run('bundle', settings, outputs, async () => {
    const items = loadMatrix(ctx.file('items'), 'e');
    const z = ctx.projects
      ? await ProjectionHead.load(ctx.file('projection'), { device: cfg.device }).project(items.data)
      : Float32Array.from(items.data);
    const zDim = ctx.projects ? cfg.projection.dim : items.cols;
    saveMatrices(ctx.file('index'), { z: { rows: items.rows, cols: zDim, data: normalizeRows(z, zDim) } });
    writeAtomic(ctx.file('itemIds'), JSON.stringify(ds.items.map((it) => it.id)));
    const bundle: BundleInfo = {
      encoder: ctx.fineTunes ? 'student' : cfg.encoder,
      maxTokens: cfg.maxTokens,
      projection: ctx.projects,
      verbalize: cfg.verbalize,
      dataset: ds.name,
      fingerprint: datasetFingerprint(ds),
      items: items.rows,
      dim: zDim,
    };
    writeAtomic(ctx.file('bundle'), `${JSON.stringify(bundle, null, 2)}\n`);
  });
  record.seconds = ctx.stages.seconds;
  writeAtomic(ctx.file('record'), `${JSON.stringify(record, null, 2)}\n`);
  // Evaluations saved since the bundle was built are of this model (a rerun that rebuilt nothing).
  saveModelCard(ctx.dir, record, ds, latestTestEvaluation(ctx.ws, ctx.run.name, ctx.stages.finished('bundle')));
  return record;
}

/**
 * Training users whose reasoning is distilled, and a held-out group for the alignment study.
 * A user needs two training items (a history and a target). With `ratio` < 1 a seeded subset
 * is distilled (paper appendix H.1); the held-out users are never distilled.
 */
function distillationUsers(
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
