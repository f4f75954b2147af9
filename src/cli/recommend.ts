import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { readHistoryFile } from '../rank/history-input.js';
import { DEFAULT_BATCH, exportRecommendations, exportTarget } from '../serve/export.js';
import { Metrics } from '../serve/metrics.js';
import { RecommendationService } from '../serve/service.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag, parseModelName } from './flags.js';

export function register(program: Command): void {
  program
    .command('recommend')
    .description(
      'top-K items for a user, a history or every user from any trained recommender (the same scoring as `serve` and `evaluate`; no LLM)',
    )
    .requiredOption('--work <dir>', 'workspace folder with a trained model')
    .option('--user <id>', 'a user of the dataset (their whole history is used)')
    .option('--history <file>', 'JSON lines: {"item_id", "timestamp"} or {"text", "timestamp"}')
    .option('--all', 'every user of the dataset (each as --user), written to --out; a killed run resumes')
    .option('--out <file>', 'with --all: the file to write (it appears only when complete)')
    .option('--format <format>', 'with --all: jsonl or csv (default: from the extension of --out)')
    .option(
      '--batch-size <n>',
      `with --all: users ranked per call and recorded at once (default ${DEFAULT_BATCH}, fewer for large catalogues)`,
    )
    .option(
      '--model <name>',
      'any recommender evaluate takes (pop, itemknn, a trained model); default: the best by validation NDCG@10',
    )
    .option('-k, --k <k>', 'how many items', '10')
    .option('--exclude-seen', 'leave out items already in the history')
    .option('--json', 'print {"items": [{"item_id", "title", "score"}, ...]}')
    .action(async (o) => {
      const given = [
        o.user !== undefined && '--user',
        o.history !== undefined && '--history',
        o.all === true && '--all',
      ].filter(Boolean);
      if (given.length !== 1)
        throw new UserError(
          `give exactly one of --user ID, --history FILE and --all${given.length ? ` (got ${given.join(' and ')})` : ''}`,
        );
      if (!o.all)
        for (const [flag, value] of [
          ['--out', o.out],
          ['--format', o.format],
          ['--batch-size', o.batchSize],
        ])
          if (value !== undefined)
            throw new UserError(`${flag}: only with --all (--user and --history print to stdout)`);
      if (o.all && o.json) throw new UserError('--json: not with --all (--format chooses JSON lines or CSV)');
      if (o.all && o.out === undefined) throw new UserError('--all: give --out FILE, where the recommendations go');
      const target = o.all ? exportTarget(o.out, o.format) : undefined;
      const k = parseIntFlag('-k', o.k, 1, 1000);
      const batchSize = o.batchSize === undefined ? undefined : parseIntFlag('--batch-size', o.batchSize, 1, 100_000);
      const model = o.model === undefined ? undefined : parseModelName('--model', o.model);
      const ws = Workspace.openPrepared(o.work);
      try {
        // An export meets every history once: a cache of history vectors would only cost.
        const service = await RecommendationService.open(ws, new Metrics(), {
          model,
          windowMs: 0,
          cacheSize: target ? 0 : undefined,
        });
        if (o.user && !service.ds.userIndex.has(o.user))
          throw new UserError(`--user ${o.user}: not a user of this workspace`);
        const exclude = Boolean(o.excludeSeen);
        if (target) {
          const done = await exportRecommendations(service, { ...target, k, excludeSeen: exclude, batchSize });
          process.stdout.write(
            `r2end recommend: top-${k} of ${done.users} users by ${service.model} (${service.version})` +
              `${exclude ? ', history excluded' : ''} -> ${target.out} (${target.format}, ${done.seconds.toFixed(1)} s` +
              `${done.resumedFrom ? `, resumed after ${done.resumedFrom} users` : ''})\n`,
          );
        } else {
          const file = o.history ? readHistoryFile(o.history) : undefined;
          const items = file
            ? await service.recommend(file.entries, k, exclude, false, undefined, undefined, file.where)
            : await service.recommendUser(o.user, k, exclude, false);
          if (o.json) process.stdout.write(`${JSON.stringify({ items })}\n`);
          else
            process.stdout.write(
              items
                .map((it, r) => `${String(r + 1).padStart(3)}. ${it.score.toFixed(4)}  ${it.item_id}  ${it.title}`)
                .join('\n') + '\n',
            );
        }
        // Said once the answer is there, so a refused request stays one line.
        if (!o.model) process.stderr.write(`r2end recommend: model ${service.model} (best validation NDCG@10)\n`);
      } finally {
        ws.close();
      }
    });
}
