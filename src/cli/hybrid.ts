/** `r2end hybrid`: a weighted sum of trained recommenders, weights chosen on validation NDCG@10. */
import type { Command } from 'commander';
import { loadDataset } from '../data/dataset.js';
import { Workspace } from '../data/workspace.js';
import { chooseWeights, saveHybrid } from '../hybrid/hybrid.js';
import { makeRecommender } from '../app/registry.js';
import { UserError } from '../util/errors.js';
import { parseModelName, parseNumberFlag } from './flags.js';

export function register(program: Command): void {
  program
    .command('hybrid')
    .description(
      'combine trained recommenders (e.g. r2end + sasrec): per-user standardised scores, weights chosen on validation NDCG@10',
    )
    .requiredOption('--work <dir>', 'workspace folder')
    .requiredOption('--parts <names>', 'comma-separated recommenders, e.g. r2end,sasrec')
    .option('--name <name>', 'model folder under WORK/models', 'hybrid')
    .option('--step <s>', 'weight grid step (default 0.05 up to four parts, 0.1 for more)')
    .action(async (o: { work: string; parts: string; name: string; step?: string }) => {
      const names = o.parts
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      if (names.length < 2 || new Set(names).size !== names.length)
        throw new UserError(`--parts ${o.parts}: expected two or more different recommenders, comma-separated`);
      parseModelName('--name', o.name);
      if (names.includes(o.name)) throw new UserError(`--name ${o.name}: a hybrid cannot be one of its own parts`);
      const step = o.step === undefined ? undefined : parseNumberFlag('--step', o.step, 0.001, 0.5);
      if (step !== undefined && Math.abs(1 / step - Math.round(1 / step)) > 1e-9)
        throw new UserError(`--step ${o.step}: expected 1/n (0.05, 0.1, 0.25, ...)`);
      const ws = Workspace.openPrepared(o.work);
      try {
        const ds = loadDataset(ws);
        const parts = names.map((n) => {
          try {
            return makeRecommender(n, ws);
          } catch (error) {
            throw error instanceof UserError
              ? new UserError(`--parts: ${error.message.replace(/^--recommender /, '')}`)
              : error;
          }
        });
        for (const p of parts) await p.fit(ds);
        const chosen = await chooseWeights(parts, ds, { step });
        const file = saveHybrid(ws, o.name, chosen);
        const best = chosen.validation.find((v) => v.weights === chosen.weights)!;
        const alone = names.map((n, i) => {
          const only = chosen.validation.find((v) => v.weights[i] === 1)!;
          return `${n} alone ${only['NDCG@10'].toFixed(4)}`;
        });
        process.stdout.write(
          `hybrid ${o.name}: weights ${names.map((n, i) => `${n} ${chosen.weights[i]}`).join(', ')}; validation NDCG@10 ${best['NDCG@10'].toFixed(4)} (${alone.join(', ')}), ${chosen.validationUsers} users\n` +
            `saved ${file}; evaluate with: r2end evaluate --work ${o.work} --recommender ${o.name}\n`,
        );
      } finally {
        ws.close();
      }
    });
}
