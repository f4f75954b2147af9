import { writeFileSync, mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { renderReport } from '../report/report.js';

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write an HTML report: metrics of every evaluated recommender, training curves, alignment histograms, latency',
    )
    .requiredOption('--work <dir>', 'workspace folder')
    .option('--out <file>', 'where to write (default WORK/reports/report.html)')
    .action((o) => {
      const ws = Workspace.openPrepared(o.work);
      try {
        const out = o.out ?? ws.path('reports', 'report.html');
        mkdirSync(ws.path('reports'), { recursive: true });
        writeFileSync(out, renderReport(ws));
        process.stdout.write(`${out}\n`);
      } finally {
        ws.close();
      }
    });
}
