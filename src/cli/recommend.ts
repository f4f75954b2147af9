import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { readHistoryFile } from '../rank/history-input.js';
import { Metrics } from '../serve/metrics.js';
import { RecommendationService } from '../serve/service.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag, parseModelName } from './flags.js';

export function register(program: Command): void {
  program
    .command('recommend')
    .description(
      'top-K items for a user or a history from any trained recommender (the same scoring as `serve` and `evaluate`; no LLM)',
    )
    .requiredOption('--work <dir>', 'workspace folder with a trained model')
    .option('--user <id>', 'a user of the dataset (their whole history is used)')
    .option('--history <file>', 'JSON lines: {"item_id", "timestamp"} or {"text", "timestamp"}')
    .option(
      '--model <name>',
      'any recommender evaluate takes (pop, itemknn, a trained model); default: the best by validation NDCG@10',
    )
    .option('-k, --k <k>', 'how many items', '10')
    .option('--exclude-seen', 'leave out items already in the history')
    .option('--json', 'print {"items": [{"item_id", "title", "score"}, ...]}')
    .action(async (o) => {
      if (Boolean(o.user) === Boolean(o.history))
        throw new UserError('give exactly one of --user ID and --history FILE');
      const k = parseIntFlag('-k', o.k, 1, 1000);
      const model = o.model === undefined ? undefined : parseModelName('--model', o.model);
      const ws = Workspace.openPrepared(o.work);
      try {
        const service = await RecommendationService.open(ws, new Metrics(), { model, windowMs: 0 });
        if (o.user && !service.ds.userIndex.has(o.user))
          throw new UserError(`--user ${o.user}: not a user of this workspace`);
        const file = o.history ? readHistoryFile(o.history) : undefined;
        const exclude = Boolean(o.excludeSeen);
        const items = file
          ? await service.recommend(file.entries, k, exclude, false, undefined, undefined, file.where)
          : await service.recommendUser(o.user, k, exclude, false);
        // Said once the answer is there, so a refused request stays one line.
        if (!o.model) process.stderr.write(`r2end recommend: model ${service.model} (best validation NDCG@10)\n`);
        if (o.json) process.stdout.write(`${JSON.stringify({ items })}\n`);
        else
          process.stdout.write(
            items
              .map((it, r) => `${String(r + 1).padStart(3)}. ${it.score.toFixed(4)}  ${it.item_id}  ${it.title}`)
              .join('\n') + '\n',
          );
      } finally {
        ws.close();
      }
    });
}
