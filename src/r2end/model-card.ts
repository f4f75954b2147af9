import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainLength, type Dataset } from '../data/dataset.js';
import { engine } from '../engine/native.js';
import { LONG_TAIL_SHARE, type EvalResult } from '../eval/evaluate.js';
import { writeAtomic } from '../io/atomic.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { FILES } from './bundle.js';
import { resolveConfig } from './config.js';
import type { TrainingRecord } from './record.js';

export interface FrameworkVersions {
  r2end: string;
  node: string;
  libtorch: string;
}

/** A user and one of their items, so the card's usage snippet runs as pasted. */
export interface CardExample {
  user: string;
  item: string;
  /** Unix seconds. */
  timestamp: number;
}

export interface CardInputs {
  versions: FrameworkVersions;
  /** The model's latest test evaluation (history not masked), when the workspace has one. */
  evaluation?: EvalResult;
  example?: CardExample;
}

/** The versions a card names: this package, Node.js and the libtorch the engine was built against. */
export function frameworkVersions(): FrameworkVersions {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return { r2end: pkg.version, node: process.versions.node, libtorch: engine().info().torchVersion };
}

/** The first user with a training item, and their last training item. */
export function cardExample(ds: Dataset): CardExample | undefined {
  const u = ds.userIds.findIndex((_, user) => trainLength(ds, user) >= 1);
  if (u < 0) return undefined;
  const pos = trainLength(ds, u) - 1;
  return { user: ds.userIds[u], item: ds.items[ds.sequences[u][pos]].id, timestamp: ds.times[u][pos] };
}

/** Writes MODEL.md into the model folder; atomically, since `r2end serve` may be reading it. */
export function saveModelCard(dir: string, r: TrainingRecord, ds: Dataset, evaluation?: EvalResult): void {
  const card = writeModelCard(r, { versions: frameworkVersions(), evaluation, example: cardExample(ds) });
  writeAtomic(join(dir, FILES.card), card);
}

const ABLATION_TEXT: Record<string, string> = {
  'no-reasoning': 'the distillation target is the item metadata alone, without the reasoning',
  'frozen-encoder': 'the encoder is not fine-tuned (no distillation)',
  'no-projection': 'no projection head: histories and items are compared in the encoder space',
  'no-reg': 'the projection is trained without the norm regulariser',
};

const COUNT_LABELS: Record<string, string> = {
  distilledUsers: 'users distilled',
  alignmentUsers: 'users held out for the alignment study',
  reasoningTexts: 'reasoning texts',
  itemDescriptions: 'item descriptions',
  projectionPairs: 'projection training pairs',
  validationUsers: 'validation users (early stopping)',
  items: 'items',
};

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
const int = (n: number) => n.toLocaleString('en-US');
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaves of a config by dotted path; arrays are single values, as the config layers treat them. */
function leaves(value: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    if (isPlain(v)) leaves(v, `${prefix}${k}.`, out);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));

/**
 * The settings of `config` that differ from r2end's defaults, as `path: value (default: x)`.
 * A default the record lacks is skipped: the model predates that setting, its value is unknown.
 */
export function nonDefaultSettings(config: Record<string, unknown>): string[] {
  const defaults = leaves(resolveConfig([]) as unknown as Record<string, unknown>);
  const own = leaves(config);
  const paths = [...new Set([...defaults.keys(), ...own.keys()])];
  return paths
    .filter((p) => own.get(p) !== undefined || defaults.get(p) === undefined)
    .filter((p) => show(own.get(p)) !== show(defaults.get(p)))
    .map((p) => `\`${p}\`: ${show(own.get(p))} (default: ${show(defaults.get(p))})`);
}

function summary(r: TrainingRecord): string {
  const items = r.counts.items === undefined ? 'all items' : `all ${int(r.counts.items)} items`;
  const teacher =
    r.teacher.backend === 'import'
      ? `Teacher: **${r.teacher.label}**: one text per training user, written outside r2end and imported (texts naming one of their user's validation or test items were refused), which the encoder learned to reproduce from the user's history alone.`
      : r.teacher.isLLM
        ? `Teacher: **${r.teacher.label}**, whose reasoning about each training user's next purchase (mode ${r.teacher.mode}) the encoder learned to reproduce from the user's history alone.`
        : `Teacher: **${r.teacher.label}**, the offline template teacher${r.teacher.model ? ` \`${r.teacher.model}\`` : ''}: it writes each rationale from facts in the data with a fixed template, so no language model's reasoning went into this model.`;
  const pipeline =
    r.ablation === 'no-projection'
      ? `A user's history text goes through the student encoder, and the items closest to it by cosine, among ${items}, are the recommendations.`
      : `A user's history text goes through the student encoder and a projection, and the items closest to it by cosine, among ${items}, are the recommendations.`;
  const ablation = ABLATION_TEXT[r.ablation] ? ` Ablation \`${r.ablation}\`: ${ABLATION_TEXT[r.ablation]}.` : '';
  return `An R2END (reasoning-to-encoder distillation) recommender trained on dataset **${r.dataset}**. ${teacher} Encoder: **${r.encoder}**. ${pipeline} No LLM runs at inference.${ablation}`;
}

function usage(r: TrainingRecord, example?: CardExample): string[] {
  const user = example?.user ?? 'USER_ID';
  const item = JSON.stringify(example?.item ?? 'ITEM_ID');
  const history = `{"history": [{"item_id": ${item}, "timestamp": ${example?.timestamp ?? 1400000000}}], "k": 10}`;
  return [
    '## Usage',
    '',
    `With the r2end CLI; WORK is the workspace folder that holds \`models/${r.model}\`.`,
    '',
    '```bash',
    '# Top 10 for a user of the dataset, from their whole history',
    `r2end recommend --work WORK --model ${r.model} --user ${user}`,
    '',
    '# Serve the model over HTTP (http://127.0.0.1:8080 by default)',
    `r2end serve --work WORK --model ${r.model}`,
    '',
    '# Top 10 for any history: item ids (or {"text": ...}) with Unix-second timestamps',
    `curl -s http://127.0.0.1:8080/v1/recommend -H 'content-type: application/json' \\`,
    `  -d '${history}'`,
    '```',
  ];
}

function evaluation(r: TrainingRecord, e?: EvalResult): string[] {
  if (!e)
    return [
      '## Evaluation',
      '',
      `Not evaluated in this workspace yet: \`r2end evaluate --work WORK --recommender ${r.model}\` computes the test metrics and adds them to this card.`,
    ];
  const f = (v: number) => v.toFixed(4);
  const m = e.metrics;
  return [
    '## Evaluation',
    '',
    `${e.split === 'test' ? 'Test' : 'Validation'} split of ${e.dataset}, ${int(e.users)} users, full ranking over all ${int(e.items)} items, ties ${e.ties}, history ${e.exclude_seen ? 'masked' : 'not masked'}:`,
    '',
    '| HR@5 | NDCG@5 | HR@10 | NDCG@10 | HR@20 | NDCG@20 | MRR |',
    '|---|---|---|---|---|---|---|',
    `| ${['HR@5', 'NDCG@5', 'HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'].map((k) => f(m[k])).join(' | ')} |`,
    '',
    `Long tail (${int(e.longtail.users)} users whose target is among the least popular ${LONG_TAIL_SHARE * 100}% of items): HR@10 ${f(e.longtail['HR@10'])}, NDCG@10 ${f(e.longtail['NDCG@10'])}; coverage@10 ${f(e['coverage@10'])}.`,
  ];
}

function training(r: TrainingRecord): string[] {
  const selection = r.curves.projection.length ? "; the validation items chose the projection's epoch" : '';
  const lines = [
    '## Training',
    '',
    `Trained ${r.created}. Leave-one-out split: teaching and training used training interactions only${selection}.`,
    '',
    '| | |',
    '|---|---|',
    `| teacher | ${r.teacher.label}${r.teacher.backend === 'import' ? '' : `, mode ${r.teacher.mode}`} |`,
    ...Object.entries(r.counts).map(([k, v]) => `| ${COUNT_LABELS[k] ?? k} | ${int(v)} |`),
    ...Object.entries(r.seconds).map(([k, v]) => `| seconds: ${k} | ${v.toFixed(1)} |`),
    `| seconds in all | ${Object.values(r.seconds)
      .reduce((a, b) => a + b, 0)
      .toFixed(1)} |`,
  ];
  if (r.curves.projection.length) {
    // The selection rule keeps the first of equal epochs.
    const best = r.curves.projection.reduce((a, b) => (b.validNdcg10 > a.validNdcg10 ? b : a));
    lines.push(
      '',
      `Projection: best validation NDCG@10 ${best.validNdcg10.toFixed(4)} at epoch ${best.epoch} of ${r.curves.projection.length}.`,
    );
  }
  if (r.alignment) {
    lines.push(
      '',
      `Alignment with the reasoning targets of ${int(r.alignment.users)} held-out training users: mean cosine ${mean(r.alignment.before.cos).toFixed(4)} before distillation, ${mean(r.alignment.after.cos).toFixed(4)} after.`,
    );
  }
  return lines;
}

/**
 * MODEL.md, laid out like a sentence-transformers model card: what the model is, how to use it,
 * its test metrics, how it was trained, the versions it ran on, and only the settings that
 * differ from the defaults (the whole configuration is in training.json).
 */
export function writeModelCard(r: TrainingRecord, inputs: CardInputs): string {
  const settings = nonDefaultSettings(r.config);
  const lines = [
    `# R2END model \`${r.model}\``,
    '',
    summary(r),
    '',
    ...usage(r, inputs.example),
    '',
    ...evaluation(r, inputs.evaluation),
    '',
    ...training(r),
    '',
    '## Framework versions',
    '',
    `- r2end: ${inputs.versions.r2end}`,
    `- Node.js: ${inputs.versions.node}`,
    `- libtorch: ${inputs.versions.libtorch}`,
    `- encoder: ${r.encoder} (${r.precision ?? 'float32'} compute)`,
    '',
    '## Settings that differ from the defaults',
    '',
    ...(settings.length
      ? settings.map((s) => `- ${s}`)
      : ["None: every setting is the default (the paper's, unless `src/r2end/config.ts` says otherwise)."]),
    '',
  ];
  return lines.join('\n');
}
