// Runs every compiled test file with Node's test runner and prints how long the suite took.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync('dist/test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => join('dist/test', f))
  .sort();
const start = performance.now();
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
});
const seconds = (performance.now() - start) / 1000;
process.stdout.write(
  `test suite: ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s (${files.length} files)\n`,
);
process.exit(run.status ?? 1);
