/**
 * Training of SASRec / GRU4Rec on the training part of every sequence: each user's last
 * `maxLength + 1` training items give one row (items -> next items), Adam, early stopping on
 * validation NDCG@10 from the project's evaluator (full ranking), the best epoch kept.
 *
 * Repeatable: weights start from `seed`, and epoch e shuffles, samples negatives and seeds the
 * engine's dropout masks from a generator seeded by (seed, e) alone. Resumable: after every epoch
 * `checkpoint.safetensors` holds the weights, Adam's state and the loop's state in one atomic
 * write, so a killed run continues after its last finished epoch and ends exactly as an
 * uninterrupted one; a finished run is recorded in `stages.json` and skipped next time.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFingerprint, trainLength, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { readSafetensorsFile, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { resolvePrecision, type NativeTrainer, type TensorData } from '../engine/native.js';
import { Random } from '../engine/random.js';
import { evaluate } from '../eval/evaluate.js';
import { freshSelection, trainWithSelection, type EpochEntry, type SelectionState } from '../eval/selection.js';
import type { Recommender } from '../rank/recommender.js';
import { writeAtomic } from '../io/atomic.js';
import { publishChanged, stagingDir } from '../io/publish.js';
import { StageRunner } from '../io/stages.js';
import { check } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import type { SequentialConfig } from './config.js';
import { INFO_FILE, SequentialNet, WEIGHTS_FILE } from './net.js';

export interface SequentialRun {
  /** The model's folder name under WORK/models. */
  name: string;
  log: (line: string) => void;
  /** No progress bars (tests). */
  silent?: boolean;
}

/** One epoch of the training curve. */
export type EpochRecord = EpochEntry;

/** `training.json` of a sequential model. */
export interface SequentialRecord {
  model: string;
  kind: SequentialConfig['model'];
  created: string;
  dataset: string;
  config: SequentialConfig;
  /** Compute precision of the run ('auto' resolved). */
  precision: 'float32' | 'bfloat16';
  counts: { users: number; items: number; positions: number };
  curve: EpochRecord[];
  epochsRun: number;
  bestEpoch: number;
  bestValidNdcg10: number;
  /** Mean training seconds per epoch (validation excluded). */
  secondsPerEpoch: number;
  /** Training and validation time until the best epoch was known. */
  secondsToBest: number;
  seconds: number;
}

/** What the checkpoint carries besides tensors: the loop's state after `epoch`. */
interface LoopState extends SelectionState {
  key: string;
  curve: EpochRecord[];
  seconds: number;
  secondsToBest: number;
}

const CHECKPOINT_FILE = 'checkpoint.safetensors';
const RECORD_FILE = 'training.json';

/** A user's training items, and the last maxLength + 1 of them that the user's training row reads. */
interface TrainingRow {
  train: Int32Array;
  window: Int32Array;
}

/** One row per user with at least two training items. */
function trainingRows(ds: Dataset, maxLength: number): TrainingRow[] {
  const rows: TrainingRow[] = [];
  for (let u = 0; u < ds.sequences.length; u++) {
    const train = ds.sequences[u].subarray(0, trainLength(ds, u));
    if (train.length >= 2) rows.push({ train, window: train.subarray(Math.max(0, train.length - maxLength - 1)) });
  }
  return rows;
}

/**
 * The batch for some rows: items = each window but its last, targets = each window but its
 * first, right-padded with -1; for BCE one negative per position, drawn uniformly from the items
 * the user never had in training (the SASRec paper's sampler).
 */
function trainingBatch(
  rows: TrainingRow[],
  cfg: SequentialConfig,
  items: number,
  rng: Random,
): Record<string, TensorData> {
  const width = Math.max(...rows.map((row) => row.window.length - 1));
  const input = new Int32Array(rows.length * width).fill(-1);
  const targets = new Int32Array(rows.length * width).fill(-1);
  const negatives = new Int32Array(cfg.loss === 'bce' ? rows.length * width : 0).fill(-1);
  rows.forEach(({ train, window }, r) => {
    input.set(window.subarray(0, window.length - 1), r * width);
    targets.set(window.subarray(1), r * width);
    if (cfg.loss !== 'bce') return;
    for (let p = 0; p < window.length - 1; p++) {
      // Rejection sampling; a user who had (almost) every item keeps the last draw.
      let item = rng.int(items);
      for (let tries = 0; tries < 100 && train.includes(item); tries++) item = rng.int(items);
      negatives[r * width + p] = item;
    }
  });
  const shape = [rows.length, width];
  const batch: Record<string, TensorData> = {
    items: { data: input, shape },
    targets: { data: targets, shape },
    seed: { data: Int32Array.of(rng.int(0x7fffffff)), shape: [1] },
  };
  if (cfg.loss === 'bce') batch.negatives = { data: negatives, shape };
  return batch;
}

/** The generator of one epoch: depends on the seed and the epoch only, so a resumed run draws the same. */
function epochRandom(seed: number, epoch: number): Random {
  return new Random((seed + Math.imul(epoch, 0x9e3779b9)) >>> 0);
}

function saveCheckpoint(path: string, net: SequentialNet, trainer: NativeTrainer, state: LoopState): void {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, t] of net.tensors()) tensors.set(`model/${name}`, t);
  const adam = trainer.state();
  // Adam's step counts fit float32 exactly (below 2^24).
  for (const [name, t] of Object.entries(adam.tensors))
    tensors.set(`adam/${name}`, { shape: t.shape, data: Float32Array.from(t.data) });
  writeSafetensors(path, tensors, { state: JSON.stringify(state), steps: String(adam.steps) });
}

/** Restores weights and Adam's state from a checkpoint of the same settings; undefined when there is none. */
function loadCheckpoint(path: string, key: string, net: SequentialNet, trainer: NativeTrainer): LoopState | undefined {
  if (!existsSync(path)) return undefined;
  const { tensors, metadata } = readSafetensorsFile(path);
  const state = JSON.parse(metadata.state ?? '{}') as LoopState;
  if (state.key !== key) return undefined;
  const part = (prefix: string) =>
    new Map(
      [...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]),
    );
  net.setTensors(part('model/'));
  trainer.setState({ steps: Number(metadata.steps), tensors: Object.fromEntries(part('adam/')) });
  return state;
}

/** Trains (or resumes, or skips when finished) the model `run.name`; returns its record. */
export async function trainSequential(
  ws: Workspace,
  ds: Dataset,
  cfg: SequentialConfig,
  run: SequentialRun,
): Promise<SequentialRecord> {
  // Readers see the published version until this run publishes the next one.
  const dir = stagingDir(ws, run.name);
  const stages = new StageRunner(dir, run.log);
  const rows = trainingRows(ds, cfg.maxLength);
  check(rows.length > 0, `no user has two training items to learn a next item from (dataset ${ds.name})`);
  // Settings that change the result (the device does not).
  const settings = {
    ...cfg,
    device: undefined,
    dataset: ds.name,
    data: datasetFingerprint(ds),
    users: ds.userIds.length,
    items: ds.items.length,
  };
  const outputs = [WEIGHTS_FILE, INFO_FILE, RECORD_FILE].map((f) => join(dir, f));
  await stages.run('train', settings, outputs, async () => {
    rmSync(join(dir, INFO_FILE), { force: true });
    const net = SequentialNet.create(cfg, ds.items.length, ds.name, datasetFingerprint(ds));
    const trainer = net.trainer();
    const checkpoint = join(dir, CHECKPOINT_FILE);
    const key = StageRunner.key(settings);
    const state: LoopState = loadCheckpoint(checkpoint, key, net, trainer) ?? {
      ...freshSelection(),
      key,
      curve: [],
      seconds: 0,
      secondsToBest: 0,
    };
    if (state.epoch > 0)
      run.log(
        `${run.name}: resuming after epoch ${state.epoch} (best validation NDCG@10 ${state.best.toFixed(4)} at epoch ${state.bestEpoch})`,
      );
    const validator: Recommender = {
      name: run.name,
      describe: () => ({}),
      fit: async () => {},
      score: (h) => net.score(h.map((x) => x.items)),
    };
    const positions = rows.reduce((a, row) => a + row.window.length - 1, 0);

    await trainWithSelection(cfg, state, {
      train: async (epoch) => {
        const rng = epochRandom(cfg.seed, epoch);
        const order = rng.shuffle(rows.map((_, i) => i));
        const bar = new Progress(`${run.name} epoch ${epoch}/${cfg.epochs}`, order.length, {
          unit: 'sequences',
          silent: run.silent,
        });
        let loss = 0;
        let batches = 0;
        for (let b = 0; b < order.length; b += cfg.batchSize) {
          const chosen = order.slice(b, b + cfg.batchSize);
          loss += await trainer.step(
            trainingBatch(
              chosen.map((i) => rows[i]),
              cfg,
              ds.items.length,
              rng,
            ),
          );
          batches++;
          bar.tick(chosen.length);
        }
        bar.finish();
        return loss / batches;
      },
      validate: () => evaluate(validator, ds, { split: 'valid', silent: true }),
      onBest: () => net.saveWeights(dir),
      onEpoch: (entry) => {
        state.seconds += entry.seconds + (entry.validSeconds ?? 0);
        if (state.bestEpoch === entry.epoch) state.secondsToBest = state.seconds;
        state.curve.push(entry);
        saveCheckpoint(checkpoint, net, trainer, state);
        const valid =
          entry.validNdcg10 === undefined
            ? ''
            : `, validation NDCG@10 ${entry.validNdcg10.toFixed(4)} HR@10 ${entry.validHr10!.toFixed(4)}`;
        run.log(
          `${run.name} epoch ${entry.epoch}: loss ${entry.loss.toFixed(4)}${valid} (${entry.seconds.toFixed(1)} s)`,
        );
      },
    });

    const trained = state.curve;
    const record: SequentialRecord = {
      model: run.name,
      kind: cfg.model,
      created: new Date().toISOString(),
      dataset: ds.name,
      config: cfg,
      precision: resolvePrecision(cfg.precision, cfg.device),
      counts: { users: rows.length, items: ds.items.length, positions },
      curve: trained,
      epochsRun: state.epoch,
      bestEpoch: state.bestEpoch,
      bestValidNdcg10: state.best,
      secondsPerEpoch: trained.reduce((a, e) => a + e.seconds, 0) / Math.max(1, trained.length),
      secondsToBest: state.secondsToBest,
      seconds: state.seconds,
    };
    writeAtomic(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    net.saveInfo(dir);
  });
  const record = readRecord(dir);
  if (!publishChanged(ws, run.name, record.created))
    run.log(`${run.name}: training was done, the published version stays`);
  return record;
}

export function readRecord(dir: string): SequentialRecord {
  return JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as SequentialRecord;
}
