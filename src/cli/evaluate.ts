import { Command, Option } from 'commander';
import { loadDataset } from '../data/dataset.js';
import { Workspace } from '../data/workspace.js';
import { evaluate, type EvalResult } from '../eval/evaluate.js';
import { saveEvaluation } from '../eval/results.js';
import { makeRecommender } from '../app/registry.js';
import { saveModelCard } from '../r2end/model-card.js';
import { R2ENDRecommender } from '../r2end/recommender.js';

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('full-ranking evaluation (HR, NDCG @5/10/20, MRR, long tail, coverage) of a recommender')
    .requiredOption('--work <dir>', 'workspace folder')
    .requiredOption('--recommender <name>', 'pop, itemknn, or a model trained in the workspace (r2end, ...)')
    .addOption(new Option('--split <split>', 'which held-out item to rank').choices(['valid', 'test']).default('test'))
    .option('--exclude-seen', "mask the user's history items before ranking")
    .option('--json', 'print one JSON object on stdout')
    .action(async (o) => {
      const ws = Workspace.openPrepared(o.work);
      try {
        const rec = makeRecommender(o.recommender, ws);
        const ds = loadDataset(ws);
        await rec.fit(ds);
        const result = await evaluate(rec, ds, {
          split: o.split,
          excludeSeen: Boolean(o.excludeSeen),
          silent: Boolean(o.json),
        });
        saveEvaluation(ws, result);
        // The card shows the metrics models are compared by: test split, history not masked.
        if (rec instanceof R2ENDRecommender && result.split === 'test' && !result.exclude_seen)
          saveModelCard(rec.dir, rec.record, ds, result);
        process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : formatResult(result));
      } finally {
        ws.close();
      }
    });
}

export function formatResult(r: EvalResult): string {
  const m = r.metrics;
  const f = (v: number) => v.toFixed(4);
  return [
    `${r.recommender} on ${r.dataset}, ${r.split} split: ${r.users} users, full ranking over ${r.items} items, ties ${r.ties}${r.exclude_seen ? ', history masked' : ''}`,
    `  HR@5 ${f(m['HR@5'])}  NDCG@5 ${f(m['NDCG@5'])}  HR@10 ${f(m['HR@10'])}  NDCG@10 ${f(m['NDCG@10'])}  HR@20 ${f(m['HR@20'])}  NDCG@20 ${f(m['NDCG@20'])}  MRR ${f(m.MRR)}`,
    `  long tail (${r.longtail.users} users): HR@10 ${f(r.longtail['HR@10'])}  NDCG@10 ${f(r.longtail['NDCG@10'])};  coverage@10 ${f(r['coverage@10'])};  ${r.seconds.toFixed(2)} s`,
    '',
  ].join('\n');
}
