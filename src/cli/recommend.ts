import { Command } from 'commander';
import { loadDataset } from '../data/dataset.js';
import type { HistoryEntry } from '../data/verbalize.js';
import { Workspace } from '../data/workspace.js';
import { readHistoryFile, resolveHistory } from '../rank/history-input.js';
import { R2ENDRecommender } from '../r2end/recommender.js';
import { UserError } from '../util/errors.js';
import { checkModelName, parseIntFlag } from './flags.js';

export function register(program: Command): void {
  program
    .command('recommend')
    .description('top-K items for a user or a history, with no LLM (history text -> encoder -> projection -> cosine)')
    .requiredOption('--work <dir>', 'workspace folder with a trained model')
    .option('--user <id>', 'a user of the dataset (their whole history is used)')
    .option('--history <file>', 'JSON lines: {"item_id", "timestamp"} or {"text", "timestamp"}')
    .option('--model <name>', 'trained model folder under WORK/models', 'r2end')
    .option('-k, --k <k>', 'how many items', '10')
    .option('--exclude-seen', 'leave out items already in the history')
    .option('--json', 'print {"items": [{"item_id", "title", "score"}, ...]}')
    .action(async (o) => {
      if (Boolean(o.user) === Boolean(o.history))
        throw new UserError('give exactly one of --user ID and --history FILE');
      const k = parseIntFlag('-k', o.k, 1, 1000);
      const model = checkModelName('--model', o.model);
      const ws = Workspace.openPrepared(o.work);
      try {
        const ds = loadDataset(ws);
        let entries: HistoryEntry[];
        if (o.user) {
          const u = ds.userIndex.get(o.user);
          if (u === undefined) throw new UserError(`--user ${o.user}: not a user of this workspace`);
          entries = Array.from(ds.sequences[u], (item, p) => ({ item: ds.items[item], timestamp: ds.times[u][p] }));
        } else {
          const { entries: raw, where } = readHistoryFile(o.history);
          entries = resolveHistory(ds, raw, where);
        }
        const rec = new R2ENDRecommender(ws, model);
        await rec.fit(ds);
        // Asked for now: the history is verbalised relative to its latest entry.
        const time = Math.max(...entries.map((e) => e.timestamp));
        const seen = o.excludeSeen ? entries.flatMap((e) => ('item' in e ? [ds.itemIndex.get(e.item.id)!] : [])) : [];
        const top = await rec.index.matrix.topK(await rec.embed([rec.entriesText(entries, time)]), k, [seen]);
        const items = Array.from(top.indices)
          .map((i, r) => ({ i, score: top.scores[r] }))
          .filter(({ i }) => i >= 0)
          .map(({ i, score }) => ({ item_id: ds.items[i].id, title: ds.items[i].title, score }));
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
