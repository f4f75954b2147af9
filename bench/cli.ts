import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/util/paths.js';

const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Runs the built r2end CLI (its stderr shown, the command logged first); a non-zero exit throws. */
export function runR2end(args: string[]): { seconds: number; stdout: string } {
  process.stderr.write(`$ r2end ${args.join(' ')}\n`);
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`r2end ${args.join(' ')} exited with ${r.status}`);
  return { seconds: (performance.now() - start) / 1000, stdout: r.stdout };
}

/**
 * The best R2END projection found on beauty (bench/README.md, "Settings tried"): every other item
 * as a negative, lr 3e-4, up to 100 epochs stopped after 10 without a better validation NDCG@10,
 * bfloat16 matrix products.
 */
export const FULL_PROJECTION = [
  '--negatives',
  'all',
  '--projection-lr',
  '3e-4',
  '--projection-epochs',
  '100',
  '--patience',
  '10',
  '--projection-precision',
  'bfloat16',
];
