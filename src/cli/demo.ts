import { Command } from 'commander';
import { loadDataset } from '../data/dataset.js';
import { prepare } from '../data/prepare.js';
import { Workspace } from '../data/workspace.js';
import { evaluate } from '../eval/evaluate.js';
import { saveEvaluation } from '../eval/results.js';
import { BASELINES } from '../rank/registry.js';
import { UserError } from '../util/errors.js';
import { formatResult } from './evaluate.js';
import { sharedDataset } from '../util/paths.js';

const DEMO_DATASET = 'beauty_mini';

export function register(program: Command): void {
  program
    .command('demo')
    .description(`the pipeline end to end on a small real dataset (default: ${DEMO_DATASET} from ../shared/datasets)`)
    .option('--data <dir>', 'dataset folder (plain format)')
    .option('--work <dir>', 'workspace folder; re-running resumes from what is there', 'r2end-demo')
    .action(async (o) => {
      const data = o.data ?? sharedDataset(DEMO_DATASET);
      if (!data) throw new UserError(`no --data given and ${DEMO_DATASET} not found (set R2END_DATASETS or pass --data DIR)`);
      const ws = Workspace.open(o.work, { create: true });
      const say = (line: string) => process.stderr.write(`${line}\n`);
      try {
        if (ws.isPrepared()) say(`[1/2] prepare: already done in ${ws.dir}`);
        else {
          say(`[1/2] prepare ${data} -> ${ws.dir}`);
          const r = await prepare(ws, { data, format: 'auto', kcore: 5, missingMeta: 'error' });
          say(`      kept ${r.kept.interactions} interactions, ${r.kept.users} users, ${r.kept.items} items`);
        }
        const ds = loadDataset(ws);
        say('[2/2] evaluate baselines (test split, full ranking)');
        for (const name of ['pop', 'itemknn']) {
          const rec = BASELINES[name]();
          await rec.fit(ds);
          const result = await evaluate(rec, ds, { split: 'test' });
          saveEvaluation(ws, result);
          process.stdout.write(formatResult(result));
        }
      } finally {
        ws.close();
      }
    });
}
