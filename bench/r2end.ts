import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalCase, loadDataset } from '../src/data/dataset.js';
import { Workspace } from '../src/data/workspace.js';
import { writeAtomic } from '../src/io/atomic.js';
import { modelExists } from '../src/io/publish.js';
import { R2ENDRecommender } from '../src/r2end/recommender.js';
import type { History } from '../src/rank/recommender.js';
import { historyText } from '../src/r2end/texts.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { sharedDir } from '../src/util/paths.js';
import { FULL_PROJECTION, runR2end } from './cli.js';

/**
 * R2END end to end on a real dataset (default beauty, all users, full ranking over all items,
 * test split, expected ties) with USE-lite and the template teacher (not an LLM): teaching and
 * training times, metrics of R2END, ablation (1) and the baselines, and inference latency.
 * The workspace persists between runs (R2END_BENCH_WORK), so a killed bench resumes.
 */
const dataset = process.env.R2END_BENCH_DATASET ?? 'beauty';
mkdirSync(join(PACKAGE_ROOT, 'bench', 'results'), { recursive: true });
const work = process.env.R2END_BENCH_WORK ?? join(tmpdir(), `r2end-bench-${dataset}`);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function latency(ws: Workspace) {
  const ds = loadDataset(ws);
  const rec = new R2ENDRecommender(ws, 'r2end');
  await rec.fit(ds);
  const histories: History[] = ds.userIds.map((_, u) => {
    const c = evalCase(ds, u, 'test');
    return { items: c.history, times: c.historyTimes, time: c.targetTime };
  });
  const n = 1000;
  const single: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const start = performance.now();
    const scores = await rec.score([histories[i % histories.length]]);
    let best = 0;
    for (let j = 1; j < scores.length; j++) if (scores[j] > scores[best]) best = j;
    if (i >= 20) single.push(performance.now() - start); // the first 20 warm up
  }
  single.sort((a, b) => a - b);
  const throughput = async (batch: number, users: number) => {
    const start = performance.now();
    for (let b = 0; b < users; b += batch) await rec.score(histories.slice(b, b + batch));
    return users / ((performance.now() - start) / 1000);
  };
  const v = JSON.parse(readFileSync(ws.path('models', 'r2end', 'bundle.json'), 'utf8')).verbalize;
  const exampleChars = historyText(ds, histories[0], v).length;
  return {
    requests: n,
    what: 'one user: history text -> student encoder -> projection -> cosine over all items -> best item',
    p50_ms: quantile(single, 0.5),
    p99_ms: quantile(single, 0.99),
    mean_ms: single.reduce((a, b) => a + b, 0) / n,
    batch4_users_per_s: await throughput(4, 2000),
    batch256_users_per_s: await throughput(256, 4096),
    example_history_chars: exampleChars,
  };
}

/** The result so far, written after every phase so a bench stopped part-way still reports. */
function save(out: Record<string, unknown>): void {
  writeFileSync(
    join(PACKAGE_ROOT, 'bench', 'results', `r2end-${dataset}.partial.json`),
    `${JSON.stringify(out, null, 2)}\n`,
  );
}

function evaluateAll(recommenders: string[], results: Record<string, unknown>): void {
  for (const rec of recommenders) {
    const r = JSON.parse(runR2end(['evaluate', '--work', work, '--recommender', rec, '--json']).stdout);
    results[rec] = {
      metrics: r.metrics,
      longtail: r.longtail,
      'coverage@10': r['coverage@10'],
      users: r.users,
      items: r.items,
      evaluate_seconds: r.seconds,
      about: r.about,
    };
  }
}

/** Trains model `name` with extra flags, starting from model `from`'s stages on the first run. */
function trainVariant(name: string, from: string, flags: string[], extra: string[]): number {
  // Published, or staged by an interrupted run: either way a run without --from continues it.
  const resume = modelExists({ path: (...parts) => join(work, ...parts) }, name);
  return runR2end(['train', '--work', work, '--name', name, ...(resume ? [] : ['--from', from]), ...flags, ...extra])
    .seconds;
}

/** Sum of a model's stage times (stages copied with --from count as the source measured them). */
function trainingSeconds(name: string): { stages: Record<string, number>; total: number } {
  const stages = JSON.parse(readFileSync(join(work, 'models', name, 'training.json'), 'utf8')).seconds as Record<
    string,
    number
  >;
  return { stages, total: Object.values(stages).reduce((a, b) => a + b, 0) };
}

async function main() {
  const out: Record<string, unknown> = {
    bench: 'r2end',
    dataset,
    split: 'test',
    ties: 'expected over a random order of tied items',
    teacher: 'template (not an LLM)',
    encoder: 'use-lite',
    workspace: work,
    started: new Date().toISOString(),
  };
  const seconds: Record<string, number> = {};
  const results: Record<string, unknown> = {};
  out.seconds = seconds;
  out.results = results;
  if (!existsSync(join(work, Workspace.DB_FILE)))
    seconds.prepare = runR2end(['prepare', '--data', sharedDir('datasets', dataset), '--work', work]).seconds;
  seconds.teach = runR2end(['teach', '--work', work, '--backend', 'template']).seconds;
  const extra = process.env.R2END_BENCH_CONFIG ? ['--config', process.env.R2END_BENCH_CONFIG] : [];
  // R2END with the paper's settings (appendix D).
  seconds.train_r2end = runR2end(['train', '--work', work, ...extra]).seconds;
  const record = JSON.parse(readFileSync(join(work, 'models', 'r2end', 'training.json'), 'utf8'));
  const trained = trainingSeconds('r2end');
  out.r2end_stage_seconds = trained.stages;
  out.r2end_training_seconds = trained.total;
  out.precision = record.precision;
  out.config = record.config;
  evaluateAll(['pop', 'itemknn', 'r2end'], results);
  save(out);
  const ws = Workspace.open(work);
  out.latency = await latency(ws);
  // A new file, not rewritten in place: the next training's staging folder may hold a hard link to the old one.
  writeAtomic(ws.path('models', 'r2end', 'latency.json'), JSON.stringify(out.latency));
  ws.close();
  save(out);
  // Ablation (1): the target is the item's metadata only, no reasoning.
  seconds.train_no_reasoning = runR2end(['train', '--work', work, '--ablation', 'no-reasoning', ...extra]).seconds;
  evaluateAll(['r2end-no-reasoning'], results);
  save(out);
  // The best R2END projection found (bench/README.md, "Settings tried"), for R2END and ablation (1)
  // alike, reusing everything before the projection.
  const full = FULL_PROJECTION;
  seconds.train_r2end_full = trainVariant('r2end-full', 'r2end', full, extra);
  seconds.train_no_reasoning_full = trainVariant(
    'r2end-no-reasoning-full',
    'r2end-no-reasoning',
    ['--ablation', 'no-reasoning', ...full],
    extra,
  );
  out.r2end_full_training_seconds = trainingSeconds('r2end-full');
  out.no_reasoning_full_training_seconds = trainingSeconds('r2end-no-reasoning-full');
  evaluateAll(['r2end-full', 'r2end-no-reasoning-full'], results);
  save(out);
  // Hybrids: R2END's text side with collaborative models, weights chosen on validation NDCG@10.
  const hybrids: Record<string, unknown> = {};
  out.hybrids = hybrids;
  // The sequential partners (trained by the sequential bench, copied in) are evaluated here too,
  // so every row of the comparison comes from one run.
  evaluateAll(
    ['sasrec', 'sasrec-bce'].filter((m) => existsSync(join(work, 'models', m))),
    results,
  );
  for (const partners of [['itemknn'], ['sasrec'], ['sasrec-bce'], ['sasrec', 'itemknn']]) {
    if (partners.some((p) => p !== 'itemknn' && !existsSync(join(work, 'models', p)))) continue;
    const name = `hybrid-r2end-${partners.join('-')}`;
    const started = performance.now();
    runR2end(['hybrid', '--work', work, '--parts', ['r2end-full', ...partners].join(','), '--name', name]);
    const spec = JSON.parse(readFileSync(join(work, 'models', name, 'hybrid.json'), 'utf8'));
    hybrids[name] = {
      parts: spec.parts,
      weights: spec.weights,
      validation: spec.validation,
      seconds: (performance.now() - started) / 1000,
    };
    evaluateAll([name], results);
    save(out);
  }
  runR2end(['report', '--work', work]);
  out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  save(out);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
