import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT as REPO } from '../src/util/paths.js';

/**
 * Runs benchmarks (each a script printing one JSON object) and writes their results to
 * bench/results/<name>.json. `npm run bench` runs all; `npm run bench -- NAME...` a subset.
 */
const ALL = [
  'foundation',
  'engine',
  'projection',
  'teacher',
  'r2end',
  'serve',
  'sequential',
  'teachers',
  'datasets',
  'export',
];
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ALL.filter((n) => existsSync(join(REPO, 'dist', 'bench', `${n}.js`)));
const results: Record<string, unknown> = {};
let failed = false;
for (const name of names) {
  const script = join(REPO, 'dist', 'bench', `${name}.js`);
  process.stderr.write(`bench ${name}...\n`);
  const r = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) {
    failed = true;
    results[name] = { error: `exit ${r.status}` };
    continue;
  }
  const json = JSON.parse(r.stdout);
  results[name] = json;
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(REPO, 'bench', 'results', `${name}.json`),
    `${JSON.stringify({ command: `npm run bench -- ${name}`, ...json }, null, 2)}\n`,
  );
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (failed) process.exitCode = 1;
