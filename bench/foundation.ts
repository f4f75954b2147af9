import { rmSync } from 'node:fs';
import { ItemKnnRecommender } from '../src/baselines/itemknn.js';
import { PopRecommender } from '../src/baselines/pop.js';
import { loadDataset } from '../src/data/dataset.js';
import { prepare } from '../src/data/prepare.js';
import { Workspace } from '../src/data/workspace.js';
import { evaluate } from '../src/eval/evaluate.js';
import type { Recommender } from '../src/rank/recommender.js';
import { tempWork } from './temp.js';
import { sharedDir } from '../src/util/paths.js';

/**
 * Foundation benchmark: prepare and full-ranking evaluation times on each dataset, and the
 * baselines' metrics (the pop figures must match the references in SOURCES.md).
 * Targets on beauty: prepare < 10 s, evaluating a baseline on all users < 5 s.
 */
async function main() {
  const out: Record<string, unknown> = {
    bench: 'foundation',
    node: process.version,
    started: new Date().toISOString(),
  };
  for (const name of ['beauty', 'beauty_mini']) {
    const work = tempWork();
    const ws = Workspace.open(work, { create: true });
    let t = performance.now();
    const report = await prepare(ws, {
      data: sharedDir('datasets', name),
      format: 'plain',
      kcore: 5,
      missingMeta: 'error',
    });
    const prepareSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const ds = loadDataset(ws);
    const loadSeconds = (performance.now() - t) / 1000;
    const evals: Record<string, unknown> = {};
    for (const rec of [new PopRecommender(), new ItemKnnRecommender()] as Recommender[]) {
      t = performance.now();
      await rec.fit(ds);
      const fitSeconds = (performance.now() - t) / 1000;
      const r = await evaluate(rec, ds, { split: 'test', silent: true });
      evals[rec.name] = {
        fit_seconds: fitSeconds,
        evaluate_seconds: r.seconds,
        users: r.users,
        items: r.items,
        metrics: r.metrics,
        longtail: r.longtail,
        'coverage@10': r['coverage@10'],
      };
    }
    out[name] = {
      prepare_seconds: prepareSeconds,
      load_seconds: loadSeconds,
      kept: report.kept,
      ties: 'expected',
      split: 'test',
      evaluate: evals,
    };
    ws.close();
    rmSync(work, { recursive: true, force: true });
  }
  out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
