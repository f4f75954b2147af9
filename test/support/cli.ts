// The compiled CLI, run as a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry (tests run from dist/test/...). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion, blocking this process. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI without blocking this process's event loop (a fake server may live here). */
export function runCliAsync(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * A refused command: exit 2 and exactly one stderr line matching `pattern`, with no stack trace.
 * prepare's own `reading FILE` lines (said before it reads far enough to refuse) do not count.
 */
export function assertRefused(r: CliResult, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('reading '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
