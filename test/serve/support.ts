import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, runCli } from '../support/cli.js';
import { jsonFile } from '../support/fixtures.js';
import { taughtWorkspace, TINY_R2END_VALUES } from '../support/r2end.js';

/**
 * A workspace with a tiny trained model (20 users, 8 items), trained for each caller (about 7 s),
 * who may change it; removed when the test process exits.
 */
export function trainedWorkspace(): string {
  const work = taughtWorkspace();
  const r = runCli(['train', '--work', work, '--config', jsonFile(TINY_R2END_VALUES)]);
  assert.equal(r.status, 0, r.stderr);
  return work;
}

/** trainedWorkspace with a hybrid of its R2END model and item kNN, named `hybrid`, made through the CLI. */
export function hybridWorkspace(): string {
  const work = trainedWorkspace();
  const r = runCli(['hybrid', '--work', work, '--parts', 'r2end,itemknn', '--step', '0.5', '--name', 'hybrid']);
  assert.equal(r.status, 0, r.stderr);
  return work;
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
