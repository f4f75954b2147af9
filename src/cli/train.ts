import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { trainRepeat } from '../baselines/repeat.js';
import { loadDataset } from '../data/dataset.js';
import { Workspace } from '../data/workspace.js';
import { PRECISIONS } from '../engine/native.js';
import { modelExists, modelVersion, resolvePublished, startStaging } from '../io/publish.js';
import {
  defaultSequentialName,
  LOSSES,
  resolveSequentialConfig,
  SEQUENTIAL_MODELS,
  type SequentialKind,
} from '../sequential/config.js';
import { trainSequential } from '../sequential/train.js';
import { ABLATIONS, resolveConfig, type TrainConfig } from '../r2end/config.js';
import { readConfigFile, type ConfigLayer } from '../util/config-layers.js';
import { trainR2END } from '../r2end/train.js';
import { UserError } from '../util/errors.js';
import { formatDuration } from '../util/progress.js';
import { parseIntFlag, parseModelName, parseNumberFlag } from './flags.js';

/** A flag's value parsed, or undefined when the flag was not given (the layer below decides). */
const int = (flag: string, v: string | undefined, min = 1) =>
  v === undefined ? undefined : parseIntFlag(flag, v, min);
const num = (flag: string, v: string | undefined, min = Number.MIN_VALUE, max = Infinity) =>
  v === undefined ? undefined : parseNumberFlag(flag, v, min, max);

/** Flags that override the config file, as a partial config. */
function flagLayer(o: Record<string, string | undefined>): Record<string, unknown> {
  return {
    encoder: o.encoder,
    maxTokens: int('--max-tokens', o.maxTokens, 2),
    seed: int('--seed', o.seed, 0),
    device: o.device,
    precision: o.precision,
    ablation: o.ablation,
    teacher: { backend: o.teacher, model: o.teacherModel },
    distill: {
      epochs: num('--distill-epochs', o.distillEpochs),
      lr: num('--lr', o.lr),
      ratio: num('--ratio', o.ratio, Number.MIN_VALUE, 1),
    },
    projection: {
      epochs: num('--projection-epochs', o.projectionEpochs),
      lr: num('--projection-lr', o.projectionLr),
      precision: o.projectionPrecision,
      negatives: negativesFlag(o.negatives),
      patience: int('--patience', o.patience),
      examples: o.examples,
    },
  };
}

function negativesFlag(v: string | undefined): number | 'all' | undefined {
  if (v === undefined || v === 'all') return v;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UserError(`--negatives ${v}: expected a whole number >= 1 or 'all'`);
  return Number(v);
}

/** Flags of the sequential models, as a partial config. */
function sequentialFlagLayer(o: Record<string, string | undefined>): Record<string, unknown> {
  return {
    loss: o.loss,
    epochs: int('--epochs', o.epochs),
    hidden: int('--hidden', o.hidden),
    blocks: int('--blocks', o.blocks),
    heads: int('--heads', o.heads),
    dropout: num('--dropout', o.dropout, 0, 0.99),
    maxLength: int('--max-length', o.maxLength),
    batchSize: int('--batch-size', o.batchSize),
    patience: int('--patience', o.patience),
    evalEvery: int('--eval-every', o.evalEvery),
    lr: num('--lr', o.lr),
    seed: int('--seed', o.seed, 0),
    device: o.device,
    precision: o.precision,
  };
}

/** Flags that only one family of models reads, by the commander option name. */
const R2END_ONLY = [
  'encoder',
  'ablation',
  'ratio',
  'distillEpochs',
  'projectionEpochs',
  'projectionLr',
  'projectionPrecision',
  'negatives',
  'examples',
  'maxTokens',
  'teacher',
  'teacherModel',
  'from',
];
const SEQUENTIAL_ONLY = [
  'loss',
  'epochs',
  'hidden',
  'blocks',
  'heads',
  'dropout',
  'maxLength',
  'batchSize',
  'evalEvery',
];
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** `train --model sasrec|gru4rec`: the next-item model, resumable epoch by epoch. */
async function trainSequentialModel(model: SequentialKind, o: Record<string, string | undefined>): Promise<void> {
  const layers: ConfigLayer[] = [];
  if (o.config) {
    const file = readConfigFile(o.config);
    if (file.model !== undefined && file.model !== model)
      throw new UserError(
        `--config ${o.config}: field "model" is ${JSON.stringify(file.model)}, but --model is ${model}`,
      );
    layers.push({ source: `--config ${o.config}`, values: file });
  }
  layers.push({ source: 'flags', values: sequentialFlagLayer(o) });
  const cfg = resolveSequentialConfig(model, layers);
  const name = parseModelName('--name', o.name ?? defaultSequentialName(cfg));
  const ws = Workspace.openPrepared(o.work!);
  try {
    if (o.fresh) startStaging(ws, name);
    const record = await trainSequential(ws, loadDataset(ws), cfg, {
      name,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(
      `model ${name} in ${ws.path('models', name)} (${model}, loss ${cfg.loss}; best validation NDCG@10 ${record.bestValidNdcg10.toFixed(4)} at epoch ${record.bestEpoch} of ${record.epochsRun}; ` +
        `${record.secondsPerEpoch.toFixed(1)} s per epoch, ${formatDuration(record.seconds)} in all)\n${published(ws, name)}next: r2end evaluate --work ${o.work} --recommender ${name}\n`,
    );
  } finally {
    ws.close();
  }
}

/** Flags `--model repeat` reads: its settings (decay, satiation window) are chosen on validation. */
const REPEAT_FLAGS = ['work', 'model', 'name', 'fresh'];

/** `train --model repeat`: the decay of the repeat model chosen on validation; skipped when already trained on this data. */
async function trainRepeatModel(o: Record<string, string | undefined>): Promise<void> {
  const foreign = Object.keys(o).find((key) => o[key] !== undefined && !REPEAT_FLAGS.includes(key));
  if (foreign) throw new UserError(`${flagName(foreign)} does not apply to --model repeat`);
  const name = parseModelName('--name', o.name ?? 'repeat');
  const ws = Workspace.open(o.work!);
  try {
    const spec = await trainRepeat(ws, loadDataset(ws), {
      name,
      fresh: Boolean(o.fresh),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const best = spec.validation.find((v) => v.decay === spec.decay && v.satiation === spec.satiation)!;
    process.stdout.write(
      `model ${name} in ${ws.path('models', name)} (repeat, decay ${spec.decay}, satiation ${spec.satiation} s; validation NDCG@10 ${best['NDCG@10'].toFixed(4)}, HR@10 ${best['HR@10'].toFixed(4)}; ` +
        `${(100 * spec.validationRepeatShare).toFixed(1)}% of validation targets repeat a history item)\nnext: r2end evaluate --work ${o.work} --recommender ${name}\n`,
    );
  } finally {
    ws.close();
  }
}

export function defaultModelName(cfg: TrainConfig): string {
  const parts = ['r2end'];
  if (cfg.ablation !== 'none') parts.push(cfg.ablation);
  if (cfg.distill.ratio < 1) parts.push(`ratio${cfg.distill.ratio}`);
  return parts.join('-');
}

/** Stages model `name` from model `from`'s published stage outputs (never over an existing model, unless fresh). */
function startFrom(ws: Workspace, from: string, name: string, fresh: boolean): void {
  const source = resolvePublished(ws, from);
  if (!source || !existsSync(join(source, 'stages.json')))
    throw new UserError(`--from ${from}: no model with finished stages in ${ws.path('models')}`);
  if (from === name) throw new UserError(`--from ${from}: the model to train must have another --name`);
  if (!fresh && modelExists(ws, name))
    throw new UserError(
      `--from ${from}: model ${name} already exists in ${ws.path('models')} (add --fresh to replace it)`,
    );
  // Measured for the source model only.
  rmSync(join(startStaging(ws, name, source), 'latency.json'), { force: true });
}

/** The line saying which version training published. */
function published(ws: Workspace, name: string): string {
  const v = modelVersion(ws, name)!;
  return `published as ${v.version} (${v.dir})\n`;
}

export function register(program: Command): void {
  program
    .command('train')
    .description(
      'train R2END (reasoning targets, distillation, item embeddings, projection; resumable stage by stage), a sequential model (SASRec, GRU4Rec; resumable epoch by epoch) or the repeat model (its decay and satiation window chosen on validation)',
    )
    .requiredOption('--work <dir>', 'workspace folder (prepared; taught for R2END)')
    .addOption(
      new Option('--model <model>', 'what to train')
        .choices(['r2end', ...SEQUENTIAL_MODELS, 'repeat'])
        .default('r2end'),
    )
    .option('--encoder <spec>', 'use-lite (bundled) or a Hugging Face sentence-encoder directory')
    .option('--config <file>', 'JSON configuration (defaults < file < flags)')
    .option(
      '--name <name>',
      'model folder under WORK/models (default: r2end, r2end-<ablation>, sasrec, sasrec-bce, gru4rec, gru4rec-bce, repeat)',
    )
    .addOption(new Option('--ablation <what>', 'paper table 2 variants').choices([...ABLATIONS]))
    .option('--ratio <r>', 'share of training users whose reasoning is distilled (0, 1]')
    .option('--lr <lr>', 'learning rate (R2END: of the distillation)')
    .option('--distill-epochs <n>', 'distillation epochs')
    .option('--projection-epochs <n>', 'projection epochs (early stopping on validation NDCG@10)')
    .option('--projection-lr <lr>', 'learning rate of the projection')
    .addOption(
      new Option(
        '--projection-precision <p>',
        'compute precision of the projection while it trains (default float32)',
      ).choices([...PRECISIONS]),
    )
    .option('--negatives <n>', "negatives per projection training pair, or 'all' (every other item: a full softmax)")
    .addOption(new Option('--examples <which>', 'projection training pairs').choices(['last', 'all']))
    .option('--max-tokens <n>', 'encoder token window')
    .option('--teacher <backend>', 'whose texts to learn from (default: the last teach run)')
    .option('--teacher-model <name>', 'the teacher model name')
    .addOption(
      new Option(
        '--loss <loss>',
        'sequential models: bce (one sampled negative per position) or ce (softmax over all items)',
      ).choices([...LOSSES]),
    )
    .option('--epochs <n>', 'sequential models: at most this many epochs (early stopping on validation NDCG@10)')
    .option('--patience <n>', 'epochs without a better validation NDCG@10 before stopping (R2END: of the projection)')
    .option('--eval-every <n>', 'sequential models: validate every n epochs')
    .option('--hidden <n>', 'sequential models: hidden size')
    .option('--blocks <n>', 'SASRec: self-attention blocks')
    .option('--heads <n>', 'SASRec: attention heads')
    .option('--dropout <p>', 'sequential models: dropout rate')
    .option('--max-length <n>', 'sequential models: most recent items read')
    .option('--batch-size <n>', 'sequential models: sequences per step')
    .option('--seed <n>', 'random seed')
    .option('--device <device>', 'cpu, or cuda / cuda:N with a CUDA libtorch build')
    .addOption(
      new Option(
        '--precision <p>',
        'compute precision (auto: bfloat16 where the CPU has it natively; sequential models default to float32)',
      ).choices([...PRECISIONS]),
    )
    .option(
      '--fresh',
      'discard what an unfinished earlier run of this model left and start over (the published version stays until this run publishes)',
    )
    .option(
      '--from <model>',
      "start from another model's finished stages: only stages whose settings differ run (for sweeps)",
    )
    .action(async (o) => {
      if (o.model === 'repeat') return trainRepeatModel(o);
      const foreign = (o.model === 'r2end' ? SEQUENTIAL_ONLY : R2END_ONLY).find((key) => o[key] !== undefined);
      if (foreign) throw new UserError(`${flagName(foreign)} does not apply to --model ${o.model}`);
      if (o.model !== 'r2end') return trainSequentialModel(o.model, o);
      const layers = [{ source: 'defaults', values: {} }];
      if (o.config) layers.push({ source: `--config ${o.config}`, values: readConfigFile(o.config) });
      layers.push({ source: 'flags', values: flagLayer(o) });
      const cfg = resolveConfig(layers);
      if (cfg.encoder !== 'use-lite' && !(existsSync(cfg.encoder) && statSync(cfg.encoder).isDirectory())) {
        throw new UserError(`--encoder ${cfg.encoder}: expected use-lite or a model directory`);
      }
      const name = parseModelName('--name', o.name ?? defaultModelName(cfg));
      if (o.from !== undefined) parseModelName('--from', o.from);
      const ws = Workspace.openPrepared(o.work);
      try {
        if (o.from !== undefined) startFrom(ws, o.from, name, Boolean(o.fresh));
        else if (o.fresh) startStaging(ws, name);
        const ds = loadDataset(ws);
        const start = performance.now();
        const record = await trainR2END(ws, ds, cfg, { name, log: (l) => process.stderr.write(`${l}\n`) });
        const best = record.curves.projection.reduce((a, b) => Math.max(a, b.validNdcg10), -1);
        process.stdout.write(
          `model ${name} in ${ws.path('models', name)} (teacher: ${record.teacher.label}; encoder: ${record.encoder}; ${formatDuration((performance.now() - start) / 1000)})` +
            `${best >= 0 ? `; best validation NDCG@10 ${best.toFixed(4)}` : ''}\n${published(ws, name)}next: r2end evaluate --work ${o.work} --recommender ${name}\n`,
        );
      } finally {
        ws.close();
      }
    });
}
