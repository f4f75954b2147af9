import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { loadDataset } from '../data/dataset.js';
import { Workspace } from '../data/workspace.js';
import { PRECISIONS } from '../engine/native.js';
import { ABLATIONS, readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';
import { trainR2END } from '../train/r2end.js';
import { UserError } from '../util/errors.js';
import { formatDuration } from '../util/progress.js';
import { parseIntFlag, parseNumberFlag } from './flags.js';

/** Flags that override the config file, as a partial config. */
function flagLayer(o: Record<string, string | undefined>): Record<string, unknown> {
  const num = (flag: string, v: string | undefined, min = Number.MIN_VALUE, max = Infinity) => (v === undefined ? undefined : parseNumberFlag(flag, v, min, max));
  return {
    encoder: o.encoder,
    maxTokens: o.maxTokens === undefined ? undefined : parseIntFlag('--max-tokens', o.maxTokens, 2),
    seed: o.seed === undefined ? undefined : parseIntFlag('--seed', o.seed, 0),
    device: o.device,
    precision: o.precision,
    ablation: o.ablation,
    teacher: { backend: o.teacher, model: o.teacherModel },
    distill: { epochs: num('--distill-epochs', o.distillEpochs), lr: num('--lr', o.lr), ratio: num('--ratio', o.ratio, Number.MIN_VALUE, 1) },
    projection: { epochs: num('--projection-epochs', o.projectionEpochs), examples: o.examples },
  };
}

export function defaultModelName(cfg: TrainConfig): string {
  const parts = ['r2end'];
  if (cfg.ablation !== 'none') parts.push(cfg.ablation);
  if (cfg.distill.ratio < 1) parts.push(`ratio${cfg.distill.ratio}`);
  return parts.join('-');
}

/** Copies model `from`'s stage outputs into a new model folder `name` (never over an existing one). */
function startFrom(models: string, from: string, name: string): void {
  const source = join(models, from);
  if (!existsSync(join(source, 'stages.json'))) throw new UserError(`--from ${from}: no model with finished stages in ${models}`);
  if (from === name) throw new UserError(`--from ${from}: the model to train must have another --name`);
  const target = join(models, name);
  if (existsSync(target)) throw new UserError(`--from ${from}: model ${name} already exists in ${models} (add --fresh to replace it)`);
  cpSync(source, target, { recursive: true });
  // Measured for the source model only.
  rmSync(join(target, 'latency.json'), { force: true });
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train R2END: reasoning targets, distillation, item embeddings, projection (resumable stage by stage)')
    .requiredOption('--work <dir>', 'workspace folder (prepared and taught)')
    .option('--encoder <spec>', 'use-lite (bundled) or a Hugging Face sentence-encoder directory')
    .option('--config <file>', 'JSON configuration (defaults < file < flags)')
    .option('--name <name>', 'model folder under WORK/models (default: r2end, or r2end-<ablation>)')
    .addOption(new Option('--ablation <what>', 'paper table 2 variants').choices([...ABLATIONS]))
    .option('--ratio <r>', 'share of training users whose reasoning is distilled (0, 1]')
    .option('--lr <lr>', 'distillation learning rate')
    .option('--distill-epochs <n>', 'distillation epochs')
    .option('--projection-epochs <n>', 'projection epochs (early stopping on validation NDCG@10)')
    .addOption(new Option('--examples <which>', 'projection training pairs').choices(['last', 'all']))
    .option('--max-tokens <n>', 'encoder token window')
    .option('--teacher <backend>', 'whose texts to learn from (default: the last teach run)')
    .option('--teacher-model <name>', 'the teacher model name')
    .option('--seed <n>', 'random seed')
    .option('--device <device>', 'cpu, or cuda / cuda:N with a CUDA libtorch build')
    .addOption(new Option('--precision <p>', 'encoder compute precision (auto: bfloat16 where the CPU has it natively)').choices([...PRECISIONS]))
    .option('--fresh', 'discard what an earlier run of this model left and start over')
    .option('--from <model>', "start from another model's finished stages: only stages whose settings differ run (for sweeps)")
    .action(async (o) => {
      const layers = [{ source: 'defaults', values: {} }];
      if (o.config) layers.push({ source: `--config ${o.config}`, values: readConfigFile(o.config) });
      layers.push({ source: 'flags', values: flagLayer(o) });
      const cfg = resolveConfig(layers);
      if (cfg.encoder !== 'use-lite' && !(existsSync(cfg.encoder) && statSync(cfg.encoder).isDirectory())) {
        throw new UserError(`--encoder ${cfg.encoder}: expected use-lite or a model directory`);
      }
      const ws = Workspace.open(o.work);
      try {
        const name = o.name ?? defaultModelName(cfg);
        if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UserError(`--name ${name}: use letters, digits, '.', '_' and '-' only`);
        if (o.fresh) rmSync(ws.path('models', name), { recursive: true, force: true });
        if (o.from !== undefined) startFrom(ws.path('models'), o.from, name);
        const ds = loadDataset(ws);
        const start = performance.now();
        const record = await trainR2END(ws, ds, cfg, { name, log: (l) => process.stderr.write(`${l}\n`) });
        const best = record.curves.projection.reduce((a, b) => Math.max(a, b.validNdcg10), -1);
        process.stdout.write(
          `model ${name} in ${ws.path('models', name)} (teacher: ${record.teacher.label}; encoder: ${record.encoder}; ${formatDuration((performance.now() - start) / 1000)})` +
            `${best >= 0 ? `; best validation NDCG@10 ${best.toFixed(4)}` : ''}\nnext: r2end evaluate --work ${o.work} --recommender ${name}\n`,
        );
      } finally {
        ws.close();
      }
    });
}
