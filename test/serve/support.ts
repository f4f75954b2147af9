import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { trainRepeat } from '../../src/baselines/repeat.js';
import { datasetFingerprint, loadDataset, type Dataset } from '../../src/data/dataset.js';
import type { Workspace } from '../../src/data/workspace.js';
import { saveHybrid } from '../../src/hybrid/hybrid.js';
import { trainR2END } from '../../src/r2end/train.js';
import { resolveSequentialConfig } from '../../src/sequential/config.js';
import { trainSequential } from '../../src/sequential/train.js';
import { contractWorkspace } from '../rank/contract.js';
import { CLI, runCli } from '../support/cli.js';
import { jsonFile } from '../support/fixtures.js';
import { taughtWorkspace, tinyR2END, TINY_R2END_VALUES } from '../support/r2end.js';

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

/**
 * The contract fixture (with a cold item) with one model of every kind, trained in process:
 * `r2end`, `sasrec-ce` (softmax CE; `precision` as given, else the default), `repeat`, and
 * `hybrid` of r2end + sasrec-ce + itemknn with fixed weights, so every part counts (validation
 * would choose them on a fixture this small).
 */
export async function everyKindWorkspace(precision?: 'float32'): Promise<{ ws: Workspace; ds: Dataset }> {
  const ws = await contractWorkspace(true);
  const ds = loadDataset(ws);
  const quiet = { log: () => {}, silent: true };
  await trainR2END(ws, ds, tinyR2END(), { name: 'r2end', ...quiet });
  const sasrec = resolveSequentialConfig('sasrec', [
    {
      source: 'test',
      values: { loss: 'ce', hidden: 16, blocks: 1, heads: 2, epochs: 3, maxLength: 8, ...(precision && { precision }) },
    },
  ]);
  await trainSequential(ws, ds, sasrec, { name: 'sasrec-ce', ...quiet });
  await trainRepeat(ws, ds, { name: 'repeat' });
  saveHybrid(ws, 'hybrid', {
    parts: ['r2end', 'sasrec-ce', 'itemknn'],
    weights: [0.5, 0.3, 0.2],
    validation: [],
    validationUsers: 0,
    fingerprint: datasetFingerprint(ds),
  });
  return { ws, ds };
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
