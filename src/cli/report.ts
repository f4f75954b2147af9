import { writeFileSync, mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { renderReport } from '../report/report.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write an HTML report: metrics of every evaluated recommender, training curves, alignment histograms, latency',
    )
    .requiredOption('--work <dir>', 'workspace folder')
    .option('--out <file>', 'where to write (default WORK/reports/report.html)')
    .action((o) => {
      if (o.out !== undefined && o.out.trim() === '') throw new UserError('--out: empty, expected a file name');
      const ws = Workspace.openPrepared(o.work);
      try {
        const html = renderReport(ws);
        const out = o.out ?? ws.path('reports', 'report.html');
        if (o.out === undefined) mkdirSync(ws.path('reports'), { recursive: true });
        try {
          writeFileSync(out, html);
        } catch (error) {
          throw new UserError(`--out ${out}: cannot write (${(error as NodeJS.ErrnoException).code})`);
        }
        process.stdout.write(`${out}\n`);
      } finally {
        ws.close();
      }
    });
}
