import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { exportRecbole } from '../data/recbole-export.js';
import { Workspace } from '../data/workspace.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('export')
    .description("write a prepared workspace's dataset in another tool's format (RecBole atomic files)")
    .requiredOption('--work <dir>', 'workspace folder')
    .addOption(new Option('--format <format>', 'the format to write').choices(['recbole']).makeOptionMandatory())
    .requiredOption(
      '--out <dir>',
      'folder to write, named as the dataset (RecBole reads DIR/NAME.inter as dataset NAME)',
    )
    .option('--force', 'replace an earlier export in that folder (never a folder holding other files)')
    .option('--json', 'print what was written as JSON')
    .action((o) => {
      if (o.out.trim() === '') throw new UserError('--out: empty, expected a folder');
      const ws = Workspace.openPrepared(o.work);
      try {
        const done = exportRecbole(ws, o.out, Boolean(o.force));
        if (o.json) return void process.stdout.write(`${JSON.stringify(done)}\n`);
        process.stdout.write(
          [
            `wrote ${done.dir}: ${done.files.join(', ')}`,
            `          ${done.interactions} interactions of ${done.users} users${done.ratings ? ' with ratings' : ''}, ${done.items} items`,
            ...(done.flattenedTexts
              ? [`          ${done.flattenedTexts} texts had tabs or line breaks, written as spaces`]
              : []),
            `RecBole: dataset ${done.dataset}, data_path ${dirname(done.dir)}`,
          ].join('\n') + '\n',
        );
      } finally {
        ws.close();
      }
    });
}
