import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalCase, loadDataset } from '../src/data/dataset.js';
import { Workspace } from '../src/data/workspace.js';
import { writeAtomic } from '../src/io/atomic.js';
import { defaultStep, HYBRID_FILE } from '../src/hybrid/hybrid.js';
import { modelVersion } from '../src/io/publish.js';
import { PACKAGE_ROOT, sharedDir } from '../src/util/paths.js';
import { runR2end } from './cli.js';
import { round } from './numbers.js';

/**
 * Every model family on every dataset, with one set of defaults: pop, item kNN, the repeat
 * model, R2END (the paper's settings, template teacher, USE-lite), SASRec (its default, softmax
 * cross-entropy) and the hybrid of them (weights chosen on validation), on beauty_mini, ml100k,
 * beauty and yelp; test split, full ranking, expected ties, history not masked. Nothing is tuned
 * per dataset beyond what validation chooses inside a run.
 *
 * Resumable per dataset and per step: each dataset has its own workspace under
 * R2END_BENCH_DIR (default: the system temp folder); training resumes or skips finished models,
 * the hybrid is chosen again only when a part changed, and a model's test evaluation is reused
 * while its published training is the same. R2END_BENCH_DATASETS=a,b runs a subset.
 */
const DATASETS = (process.env.R2END_BENCH_DATASETS ?? 'beauty_mini,ml100k,beauty,yelp').split(',');
const ROOT = process.env.R2END_BENCH_DIR ?? join(tmpdir(), 'r2end-bench-datasets');
const RESULTS = join(PACKAGE_ROOT, 'bench', 'results');

/** The hybrid's parts, in the order their weights are listed. */
const HYBRID_PARTS = ['r2end', 'sasrec', 'itemknn', 'repeat'];
const EVALUATED = ['pop', 'itemknn', 'repeat', 'r2end', 'sasrec', 'hybrid'];

/**
 * The paper's own figures (R2END: Gemma-3 12B teacher, mxbai-embed-large encoder; tables 1 and
 * 5), for the datasets it reports: not comparable in teacher or encoder, the mark to reach.
 */
const PAPER: Record<string, Record<string, Record<string, number>>> = {
  beauty: {
    R2END: { 'HR@5': 0.0664, 'NDCG@5': 0.045, 'HR@10': 0.0958, 'NDCG@10': 0.0545 },
    SASRec: { 'HR@5': 0.0387, 'NDCG@5': 0.0249, 'HR@10': 0.0605, 'NDCG@10': 0.0318 },
    GRU4Rec: { 'HR@5': 0.0164, 'NDCG@5': 0.0099, 'HR@10': 0.0283, 'NDCG@10': 0.0137 },
  },
  yelp: {
    R2END: { 'HR@5': 0.0595, 'NDCG@5': 0.0514, 'HR@10': 0.0701, 'NDCG@10': 0.0548 },
    SASRec: { 'HR@5': 0.0223, 'NDCG@5': 0.0141, 'HR@10': 0.039, 'NDCG@10': 0.0194 },
    GRU4Rec: { 'HR@5': 0.0152, 'NDCG@5': 0.0099, 'HR@10': 0.0263, 'NDCG@10': 0.0134 },
  },
};

/** What a dataset's run has established so far, kept in its workspace so a rerun resumes. */
interface DatasetState {
  /** Per model: the published training it was measured on and what was measured. */
  models: Record<string, { created?: string; train_seconds?: number; test?: Record<string, unknown> }>;
}

const root = (work: string) => ({ path: (...parts: string[]) => join(work, ...parts) });
const created = (work: string, name: string) => modelVersion(root(work), name)?.created;
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** Seconds a model's training took, from its own record where it keeps one (stages reused from a resumed run count as measured then). */
function recordedTrainSeconds(work: string, name: string): number | undefined {
  const file = join(work, 'models', name, 'training.json');
  if (!existsSync(file)) return undefined;
  const record = readJson(file);
  if (typeof record.seconds === 'number') return record.seconds;
  return Object.values(record.seconds as Record<string, number>).reduce((a, b) => a + b, 0);
}

/** Shares of test targets that the user had before (what only a model that re-recommends can hit). */
function testRepeatShare(work: string): { share: number; users: number; items: number; interactions: number } {
  const ws = Workspace.open(work);
  try {
    const ds = loadDataset(ws);
    let repeats = 0;
    ds.userIds.forEach((_, u) => {
      const c = evalCase(ds, u, 'test');
      repeats += +c.history.includes(c.target);
    });
    const interactions = ds.sequences.reduce((a, s) => a + s.length, 0);
    return { share: repeats / ds.userIds.length, users: ds.userIds.length, items: ds.items.length, interactions };
  } finally {
    ws.close();
  }
}

async function runDataset(name: string): Promise<Record<string, unknown>> {
  const work = join(ROOT, name);
  const stateFile = join(work, 'bench-datasets.json');
  mkdirSync(ROOT, { recursive: true });
  const started = performance.now();
  const seconds: Record<string, number> = {};
  if (!existsSync(join(work, Workspace.DB_FILE)))
    seconds.prepare = runR2end(['prepare', '--data', sharedDir('datasets', name), '--work', work]).seconds;
  const state: DatasetState = existsSync(stateFile) ? readJson(stateFile) : { models: {} };
  const save = () => writeAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  seconds.teach = runR2end(['teach', '--work', work, '--backend', 'template']).seconds;

  // Each training resumes or skips a finished model; a model whose published training changed
  // is measured again.
  const train = (model: string, args: string[]) => {
    const before = created(work, model);
    const took = runR2end(['train', '--work', work, ...args]).seconds;
    const now = created(work, model);
    const entry = (state.models[model] ??= {});
    if (now !== before || entry.train_seconds === undefined)
      entry.train_seconds = recordedTrainSeconds(work, model) ?? took;
    if (entry.created !== now) entry.test = undefined;
    entry.created = now;
    save();
  };
  train('repeat', ['--model', 'repeat']);
  train('r2end', []);
  train('sasrec', ['--model', 'sasrec']);

  // The hybrid is chosen again only when a part was trained after it or the default grid changed.
  const hybridCreated = created(work, 'hybrid');
  const stale =
    !hybridCreated ||
    HYBRID_PARTS.some((p) => (created(work, p) ?? '') > hybridCreated) ||
    !state.models.hybrid ||
    readJson(join(work, 'models', 'hybrid', HYBRID_FILE)).step !== defaultStep(HYBRID_PARTS.length);
  if (stale) {
    const took = runR2end(['hybrid', '--work', work, '--parts', HYBRID_PARTS.join(','), '--name', 'hybrid']).seconds;
    state.models.hybrid = { created: created(work, 'hybrid'), train_seconds: took };
    save();
  }
  const spec = readJson(join(work, 'models', 'hybrid', HYBRID_FILE));

  const results: Record<string, unknown> = {};
  for (const model of EVALUATED) {
    const entry = (state.models[model] ??= {});
    // Baselines are fitted anew by every evaluate: measured every run.
    const version = created(work, model);
    if (!entry.test || version === undefined || entry.created !== version) {
      const r = JSON.parse(runR2end(['evaluate', '--work', work, '--recommender', model, '--json']).stdout);
      entry.test = {
        metrics: r.metrics,
        longtail: r.longtail,
        'coverage@10': r['coverage@10'],
        evaluate_seconds: r.seconds,
        about: r.about,
      };
      entry.created = version;
      save();
    }
    results[model] = { ...entry.test, train_seconds: entry.train_seconds };
  }
  const data = testRepeatShare(work);
  return {
    dataset: name,
    workspace: work,
    users: data.users,
    items: data.items,
    interactions: data.interactions,
    test_targets_repeating: round(data.share, 4),
    hybrid: { parts: spec.parts, weights: spec.weights, validation_users: spec.validationUsers },
    results,
    paper: PAPER[name],
    seconds_this_run: { ...seconds, total: round((performance.now() - started) / 1000, 1) },
  };
}

async function main() {
  const out: Record<string, unknown> = {
    bench: 'datasets',
    split: 'test',
    ranking: 'full, over every item',
    ties: 'expected over a random order of tied items',
    history_masked: false,
    teacher: 'template teacher (not an LLM)',
    encoder: 'use-lite',
    r2end_settings: "the paper's (appendix D)",
    sasrec_settings: 'defaults (softmax cross-entropy)',
    hybrid_parts: HYBRID_PARTS,
    cores: cpus().length,
    started: new Date().toISOString(),
    load_average: [round(loadavg()[0])],
  };
  const start = performance.now();
  const datasets: Record<string, unknown> = {};
  out.datasets = datasets;
  mkdirSync(RESULTS, { recursive: true });
  for (const name of DATASETS) {
    datasets[name] = await runDataset(name);
    writeAtomic(join(RESULTS, 'datasets.partial.json'), `${JSON.stringify(out, null, 2)}\n`);
  }
  out.seconds = round((performance.now() - start) / 1000, 1);
  (out.load_average as number[]).push(round(loadavg()[0]));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
