import { Command } from 'commander';
import { loadDataset } from '../data/dataset.js';
import type { HistoryEntry } from '../data/verbalize.js';
import { Workspace } from '../data/workspace.js';
import { readHistoryFile, resolveHistory } from '../rank/history-input.js';
import { R2ENDRecommender } from '../rank/r2end.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag } from './flags.js';

/** Indices of the k best scores (score descending, lower index first among equals). */
export function topIndices(scores: Float32Array, k: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!exclude.has(i)) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, k);
}

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
      const ws = Workspace.open(o.work);
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
        const rec = new R2ENDRecommender(ws, o.model);
        await rec.fit(ds);
        // Asked for now: the history is verbalised relative to its latest entry.
        const time = Math.max(...entries.map((e) => e.timestamp));
        const scores = await rec.scoreEntries(entries, time);
        const seen = new Set(
          o.excludeSeen ? entries.flatMap((e) => ('item' in e ? [ds.itemIndex.get(e.item.id)!] : [])) : [],
        );
        const items = topIndices(scores, k, seen).map((i) => ({
          item_id: ds.items[i].id,
          title: ds.items[i].title,
          score: scores[i],
        }));
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
