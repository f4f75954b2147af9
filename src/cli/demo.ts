import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { UserError } from '../util/errors.js';
import { findShared } from '../util/paths.js';

const DEMO_DATASET = 'beauty_mini';
/** The demo's hybrid: every model family it trains, weighted on validation. */
const HYBRID_PARTS = ['r2end', 'sasrec', 'itemknn', 'repeat'];
const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      `prepare -> teach (template) -> train R2END, SASRec, repeat and their hybrid -> evaluate -> report on a small real dataset (default: ${DEMO_DATASET} from ../shared/datasets)`,
    )
    .option('--data <dir>', 'dataset folder')
    .option('--work <dir>', 'workspace folder; re-running resumes from what is there', 'r2end-demo')
    .action((o) => {
      const data = o.data ?? findShared('datasets', DEMO_DATASET);
      if (!data)
        throw new UserError(`no --data given and ${DEMO_DATASET} not found (set R2END_DATASETS or pass --data DIR)`);
      const work: string = o.work;
      const prepared = existsSync(join(work, Workspace.DB_FILE)) && isPrepared(work);
      const steps: Array<[string, string[]]> = [
        ...(prepared
          ? []
          : [
              ['prepare: read, 5-core filter, leave-one-out split', ['prepare', '--data', data, '--work', work]] as [
                string,
                string[],
              ],
            ]),
        [
          'teach: the offline template teacher (not an LLM; use --backend openai for a real one)',
          ['teach', '--work', work, '--backend', 'template'],
        ],
        ['train: targets, distillation, items, projection (resumes where it stopped)', ['train', '--work', work]],
        ['train: SASRec (softmax cross-entropy)', ['train', '--work', work, '--model', 'sasrec']],
        ['train: the repeat model (decay chosen on validation)', ['train', '--work', work, '--model', 'repeat']],
        [
          'hybrid: R2END + SASRec + item kNN + repeat, weights chosen on validation',
          ['hybrid', '--work', work, '--parts', HYBRID_PARTS.join(','), '--name', 'hybrid'],
        ],
        ...['pop', 'itemknn', 'repeat', 'sasrec', 'r2end', 'hybrid'].map((r): [string, string[]] => [
          `evaluate: ${r}`,
          ['evaluate', '--work', work, '--recommender', r],
        ]),
        ['report', ['report', '--work', work]],
      ];
      steps.forEach(([what, args], i) => {
        process.stderr.write(`\n[${i + 1}/${steps.length}] ${what}\n$ r2end ${args.join(' ')}\n`);
        const r = spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit' });
        if (r.status !== 0)
          throw new UserError(`demo stopped: \`r2end ${args.join(' ')}\` exited with ${r.status ?? r.signal}`);
      });
      process.stderr.write(
        `\nreport: ${join(work, 'reports', 'report.html')}\nserve the best model (by validation NDCG@10): r2end serve --work ${work}\n`,
      );
    });
}

function isPrepared(work: string): boolean {
  const ws = Workspace.open(work);
  try {
    return ws.isPrepared();
  } finally {
    ws.close();
  }
}
