import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../src/data/workspace.js';
import { runR2end } from './cli.js';
import type { SequentialRecord } from '../src/sequential/train.js';
import { sharedDir } from '../src/util/paths.js';

/**
 * SASRec (CE, its default, and the paper's BCE) and GRU4Rec on a real dataset (default beauty): trained with each model's
 * defaults (SASRec: the paper's architecture for sparse Amazon data) and early stopping on validation
 * NDCG@10, then evaluated on the test split, full ranking over all items, expected ties. The
 * workspace persists between runs (R2END_BENCH_WORK), and training resumes per epoch, so a
 * killed bench continues where it stopped.
 */
const dataset = process.env.R2END_BENCH_DATASET ?? 'beauty';
const work = process.env.R2END_BENCH_WORK ?? join(tmpdir(), `r2end-bench-sequential-${dataset}`);

/** The full-ranking HR@10 usually quoted for SASRec-BCE on beauty, which this bench compares against. */
const PAPER_HR10 = 0.0605;

const MODELS: Array<{ label: string; name: string; args: string[] }> = [
  { label: 'SASRec-BCE', name: 'sasrec-bce', args: ['--model', 'sasrec', '--loss', 'bce'] },
  { label: 'SASRec-CE', name: 'sasrec', args: ['--model', 'sasrec'] },
  { label: 'GRU4Rec', name: 'gru4rec', args: ['--model', 'gru4rec'] },
];

function main() {
  const out: Record<string, unknown> = {
    bench: 'sequential',
    dataset,
    split: 'test',
    ranking: 'full, over every item',
    ties: 'expected over a random order of tied items',
    history_masked: false,
    workspace: work,
    cores: cpus().length,
    started: new Date().toISOString(),
    // Timings depend on what else runs: the 1-minute load average before and after.
    load_average: [loadavg()[0]],
  };
  if (!existsSync(join(work, Workspace.DB_FILE)))
    runR2end(['prepare', '--data', sharedDir('datasets', dataset), '--work', work]);
  const results: Record<string, unknown> = {};
  for (const m of MODELS) {
    runR2end(['train', '--work', work, ...m.args, '--name', m.name]);
    const record = JSON.parse(readFileSync(join(work, 'models', m.name, 'training.json'), 'utf8')) as SequentialRecord;
    const evaluation = JSON.parse(runR2end(['evaluate', '--work', work, '--recommender', m.name, '--json']).stdout);
    // The protocol of the code bases behind the published full-ranking figures (S3-Rec, FMLP-Rec): history items masked.
    const masked = JSON.parse(
      runR2end(['evaluate', '--work', work, '--recommender', m.name, '--exclude-seen', '--json']).stdout,
    );
    results[m.label] = {
      metrics: evaluation.metrics,
      metrics_history_masked: masked.metrics,
      seconds_per_epoch: record.secondsPerEpoch,
      epochs_run: record.epochsRun,
      best_epoch: record.bestEpoch,
      best_valid_ndcg10: record.bestValidNdcg10,
      // Training and validation until the best epoch was known, as the early stopping saw it.
      seconds_to_convergence: record.secondsToBest,
      seconds_training: record.seconds,
      precision: record.precision,
      config: record.config,
    };
  }
  out.results = results;
  (out.load_average as number[]).push(loadavg()[0]);
  const bce = results['SASRec-BCE'] as {
    metrics: Record<string, number>;
    metrics_history_masked: Record<string, number>;
  };
  const ratio = (hr: number) => ({ ratio: hr / PAPER_HR10, within_10_percent: Math.abs(hr / PAPER_HR10 - 1) <= 0.1 });
  out.paper = {
    'SASRec-BCE HR@10': PAPER_HR10,
    this_protocol: ratio(bce.metrics['HR@10']),
    history_masked: ratio(bce.metrics_history_masked['HR@10']),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
