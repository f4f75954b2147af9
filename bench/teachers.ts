import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../src/data/workspace.js';
import { latestTestEvaluation } from '../src/eval/results.js';
import { modelExists, resolvePublished } from '../src/io/publish.js';
import { importTexts } from '../src/teacher/import-texts.js';
import { sharedDir } from '../src/util/paths.js';
import { FULL_PROJECTION, runR2end } from './cli.js';
import { round } from './numbers.js';

/**
 * R2END from different teachers on ml100k (943 users, test split, full ranking over every item,
 * expected ties): six sets of real LLM texts (GPT-4 and LLaMA-2-7B-chat explaining a SASRec,
 * BPR-MF or LightGCN pick; unguided, imported with `teach --import`, the held-out guard refusing
 * those that name a user's validation or test movie), the template teacher (not an LLM) and
 * ablation (1) (no reasoning), each with several seeds, with the paper's projection and with the
 * full one. Items are their metadata only for every variant (no teacher wrote item texts here), so
 * only the reasoning differs. The workspace persists (R2END_BENCH_WORK): a published model is not
 * trained again and a stored test evaluation of it is not redone, so a killed run resumes.
 */
const work = process.env.R2END_BENCH_WORK ?? join(tmpdir(), 'r2end-bench-teachers');
const SEEDS = (process.env.R2END_BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const IMPORTS = ['gpt4-sasrec', 'gpt4-bpr-mf', 'gpt4-lightgcn', 'llama2-sasrec', 'llama2-bpr-mf', 'llama2-lightgcn'];
const VARIANTS = [
  ...IMPORTS.map((name) => ({ name, flags: ['--teacher', 'import', '--teacher-model', name] })),
  { name: 'template', flags: ['--teacher', 'template'] },
  { name: 'no-reasoning', flags: ['--teacher', 'template', '--ablation', 'no-reasoning'] },
];
const SETTINGS = [
  { name: 'paper', about: 'projection as in the paper: 10 epochs, 99 sampled negatives, lr 1e-4' },
  { name: 'full', about: `projection ${FULL_PROJECTION.join(' ')}` },
];
const METRICS = ['HR@10', 'NDCG@10'] as const;

const root = { path: (...parts: string[]) => join(work, ...parts) };

/** Trains a model unless it is published; an interrupted one resumes from its staging folder. */
function train(name: string, flags: string[], from?: string): void {
  if (resolvePublished(root, name)) return;
  runR2end([
    'train',
    '--work',
    work,
    '--name',
    name,
    ...(from && !modelExists(root, name) ? ['--from', from] : []),
    ...flags,
  ]);
}

/** Test metrics of a model: stored since it was trained, else evaluated now. */
function testMetrics(name: string): Record<string, number> {
  const record = JSON.parse(readFileSync(join(work, 'models', name, 'training.json'), 'utf8'));
  const ws = Workspace.open(work);
  const stored = latestTestEvaluation(ws, name, record.created);
  ws.close();
  return (stored ?? JSON.parse(runR2end(['evaluate', '--work', work, '--recommender', name, '--json']).stdout)).metrics;
}

function summary(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return {
    mean: round(mean, 4),
    min: round(Math.min(...values), 4),
    max: round(Math.max(...values), 4),
    sd: round(sd, 4),
  };
}

async function main() {
  if (!existsSync(join(work, Workspace.DB_FILE)))
    runR2end(['prepare', '--data', sharedDir('datasets', 'ml100k'), '--work', work]);
  // Importing a file again stores the same texts, so models trained on them stay valid.
  const imports: Record<string, unknown> = {};
  const ws = Workspace.open(work);
  for (const name of IMPORTS) {
    const file = join(sharedDir('llm-texts', 'ml100k'), `${name}.jsonl`);
    const r = await importTexts(ws, { file, what: 'reasoning', model: name, silent: true });
    imports[name] = {
      read: r.read,
      imported: r.imported,
      refused: r.refused,
      refused_by_one_word_title: r.oneWordTitle,
    };
  }
  ws.close();
  runR2end(['teach', '--work', work, '--backend', 'template', '--what', 'reasoning']);

  const variants: Record<string, unknown> = {};
  for (const v of VARIANTS) {
    const settings: Record<string, unknown> = {};
    for (const setting of SETTINGS) {
      const seeds: Record<string, unknown> = {};
      const values: Record<string, number[]> = { 'HR@10': [], 'NDCG@10': [] };
      for (const seed of SEEDS) {
        const base = `t-${v.name}-s${seed}`;
        const name = setting.name === 'paper' ? base : `t-${v.name}-${setting.name}-s${seed}`;
        const flags = [...v.flags, '--seed', String(seed)];
        train(base, flags);
        if (setting.name === 'full') train(name, [...flags, ...FULL_PROJECTION], base);
        const m = testMetrics(name);
        const record = JSON.parse(readFileSync(join(work, 'models', name, 'training.json'), 'utf8'));
        seeds[seed] = {
          model: name,
          ...Object.fromEntries(METRICS.map((k) => [k, round(m[k], 4)])),
          distilled_users: record.counts.distilledUsers,
          reasoning_texts: record.counts.reasoningTexts,
          item_descriptions: record.counts.itemDescriptions,
          teacher: record.teacher.label,
        };
        for (const k of METRICS) values[k].push(m[k]);
      }
      settings[setting.name] = { seeds, ...Object.fromEntries(METRICS.map((k) => [k, summary(values[k])])) };
    }
    variants[v.name] = settings;
  }
  const baselines = Object.fromEntries(
    ['pop', 'itemknn'].map((b) => {
      const m = JSON.parse(runR2end(['evaluate', '--work', work, '--recommender', b, '--json']).stdout).metrics;
      return [b, Object.fromEntries(METRICS.map((k) => [k, round(m[k], 4)]))];
    }),
  );
  const out = {
    bench: 'teachers',
    dataset: 'ml100k',
    split: 'test',
    ties: 'expected over a random order of tied items',
    encoder: 'use-lite',
    workspace: work,
    seeds: SEEDS,
    settings: Object.fromEntries(SETTINGS.map((s) => [s.name, s.about])),
    imports,
    variants,
    baselines,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
