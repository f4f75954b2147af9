import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli, sequentialDataset, tempDir } from '../helpers/fixtures.js';

const TINY = {
  distill: { batchSize: 4, alignmentUsers: 2 },
  projection: { dim: 32, epochs: 2, batchSize: 8, negatives: 5 },
};

/**
 * A workspace with a tiny trained model (20 users, 8 items), trained once per `node --test`
 * run of one build (the test files share the runner's pid; each build rewrites the CLI) and
 * copied for each caller, who may change it.
 */
export async function trainedWorkspace(): Promise<string> {
  const shared = join(tmpdir(), `r2end-serve-fixture-${process.ppid}-${Math.round(statSync(CLI).mtimeMs)}`);
  const ready = join(shared, 'ready');
  let mine = false;
  try {
    mkdirSync(shared);
    mine = true;
  } catch {
    // Another test file is training it: wait for it.
  }
  if (mine) {
    const work = join(shared, 'work');
    assert.equal(runCli(['prepare', '--data', sequentialDataset(20), '--work', work, '--kcore', '3']).status, 0);
    const t = runCli(['teach', '--work', work, '--backend', 'template']);
    assert.equal(t.status, 0, t.stderr);
    const config = join(shared, 'config.json');
    writeFileSync(config, JSON.stringify(TINY));
    const tr = runCli(['train', '--work', work, '--config', config]);
    assert.equal(tr.status, 0, tr.stderr);
    writeFileSync(ready, '');
  }
  const deadline = Date.now() + 180_000;
  while (!existsSync(ready)) {
    assert.ok(Date.now() < deadline, 'timed out waiting for the shared fixture model');
    await new Promise((r) => setTimeout(r, 200));
  }
  const copy = join(tempDir('r2end-serve-'), 'work');
  cpSync(join(shared, 'work'), copy, { recursive: true });
  return copy;
}

export interface Running {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts `r2end serve` on a random port and resolves once it listens. */
export function startServer(work: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'serve', '--work', work, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /r2end serve: (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        resolve({
          url: m[1],
          child,
          output: () => out,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${out}`)));
  });
}

/** A parsed response body; tests read its fields directly. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: JsonBody }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function getJson(url: string): Promise<{ status: number; body: JsonBody }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
