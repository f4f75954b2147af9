import { existsSync, readdirSync, rmSync } from 'node:fs';
import { Command, Option } from 'commander';
import { COLUMNS_FLAG_SHAPE, parseColumnMap } from '../data/formats/csv.js';
import { SOURCE_FORMATS } from '../data/formats/source.js';
import { TIMESTAMP_UNITS } from '../data/formats/timestamps.js';
import { prepare, type PrepareReport } from '../data/prepare.js';
import { Workspace } from '../data/workspace.js';
import { clearEvaluations } from '../eval/results.js';
import { removeModels } from '../io/publish.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag } from './flags.js';

/**
 * Removes what was built on the data a `prepare --force` replaced: trained models (their item and
 * user indices are the old data's), stored evaluations and reports. Says what it removed, if anything.
 */
function discardDerived(ws: Workspace): string | undefined {
  const models = removeModels(ws);
  const evaluations = clearEvaluations(ws);
  const reportsDir = ws.path('reports');
  const reports = existsSync(reportsDir) ? readdirSync(reportsDir).sort() : [];
  rmSync(reportsDir, { recursive: true, force: true });
  const parts = [
    models.length ? `models ${models.join(', ')}` : '',
    evaluations ? `${evaluations} stored evaluation${evaluations === 1 ? '' : 's'}` : '',
    reports.length ? `reports ${reports.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? `removed what was built on the replaced data: ${parts.join('; ')}` : undefined;
}

/** The fields --columns must name for --format csv (a RecBole file has defaults for each). */
const CSV_KEYS = ['user', 'item', 'time'];

export function register(program: Command): void {
  program
    .command('prepare')
    .description('read a dataset, k-core filter, split leave-one-out, and store it in a workspace')
    .requiredOption(
      '--data <dir>',
      'dataset folder: plain, Amazon 2014/2018 or 2023 dump, Yelp, RecBole atomic files, MovieLens (ml-100k, ml-1m, ml-latest, ml-20m ...); for csv also a single file',
    )
    .requiredOption('--work <dir>', 'workspace folder (created if missing)')
    .addOption(
      new Option('--format <format>', 'dataset format (auto: from the files; csv is never guessed)')
        .choices(['auto', ...SOURCE_FORMATS])
        .default('auto'),
    )
    .option(
      '--columns <map>',
      `csv: the header columns holding each field, ${COLUMNS_FLAG_SHAPE} (e.g. user=uid,item=sku,time=ts); recbole: names other than user_id, item_id, timestamp, rating`,
    )
    .option('--items <file>', 'csv: item records as JSON lines like items.jsonl (without: items have only their ids)')
    .option('--kcore <k>', 'iterative k-core: keep users and items with at least k interactions', '5')
    .addOption(
      new Option('--missing-meta <what>', 'interactions whose item has no metadata')
        .choices(['error', 'drop'])
        .default('error'),
    )
    .addOption(
      new Option(
        '--timestamp-unit <unit>',
        'how numeric timestamps are written: Unix seconds (default) or milliseconds (Amazon 2023: always milliseconds)',
      ).choices([...TIMESTAMP_UNITS]),
    )
    .option('--name <name>', 'dataset name shown in reports (default: the folder name)')
    .option('--force', 'replace a dataset already prepared in this workspace')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const kcore = parseIntFlag('--kcore', o.kcore, 1);
      const ws = Workspace.open(o.work, { create: true });
      let report: PrepareReport;
      let replacing = false;
      try {
        if (ws.isPrepared() && !o.force) {
          throw new UserError(
            `--work ${o.work}: already holds a prepared dataset; use a new workspace or --force to replace it`,
          );
        }
        replacing = ws.isPrepared();
        report = await prepare(
          ws,
          {
            data: o.data,
            format: o.format,
            kcore,
            missingMeta: o.missingMeta,
            timestampUnit: o.timestampUnit,
            columns:
              o.columns === undefined ? undefined : parseColumnMap(o.columns, o.format === 'csv' ? CSV_KEYS : []),
            items: o.items,
            name: o.name,
          },
          (l) => process.stderr.write(`${l}\n`),
        );
      } catch (error) {
        // A failed prepare leaves no half-made workspace that later commands would take for one.
        ws.discard();
        throw error;
      }
      if (replacing) {
        // Models, evaluations and reports of the replaced data would describe other data.
        const removed = discardDerived(ws);
        if (removed) process.stderr.write(`${removed}\n`);
      }
      ws.close();
      if (o.json) return void process.stdout.write(`${JSON.stringify(report)}\n`);
      const f = report.filtered;
      process.stdout.write(
        [
          `read      ${report.read.interactions} interactions, ${report.read.users} users, ${report.read.items} items; ${report.read.metadataRecords} metadata records`,
          `filtered  missing metadata: ${f.missingMetadata.interactions} interactions (${f.missingMetadata.items} items)`,
          `          ${kcore}-core: ${f.kcore.interactions} interactions, ${f.kcore.users} users, ${f.kcore.items} items (${f.kcore.rounds} rounds)`,
          `          fewer than 3 interactions (no leave-one-out split): ${f.tooShortForSplit.users} users, ${f.tooShortForSplit.interactions} interactions`,
          `          duplicate metadata records ignored: ${f.duplicateMetadata}`,
          `kept      ${report.kept.interactions} interactions, ${report.kept.users} users, ${report.kept.items} items (${report.kept.withRatings} with ratings, ${report.kept.withReviews} with review text, ${report.kept.untitledItems} items without a title, ${report.kept.textlessItems} without any text${report.itemsFile === null ? ': no item file, items are known by their ids' : ''})`,
          `split     leave-one-out: ${report.kept.users} test, ${report.kept.users} validation, ${report.kept.interactions - 2 * report.kept.users} training interactions`,
          ...report.notes.map((n) => `note      ${n}`),
        ].join('\n') + '\n',
      );
    });
}
