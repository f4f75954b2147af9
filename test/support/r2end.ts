// Tiny R2END training settings and taught workspaces, for the tests that train R2END.
import assert from 'node:assert/strict';
import { resolveConfig, type TrainConfig } from '../../src/r2end/config.js';
import { runCli } from './cli.js';
import { sequentialDataset, tempDir } from './fixtures.js';

/**
 * Small enough for CI, every stage of the method still runs; as a --config file's JSON. With
 * 20 users the alignment study holds out one (at most 5% of them).
 */
export const TINY_R2END_VALUES = {
  distill: { batchSize: 4, epochs: 1, alignmentUsers: 2 },
  projection: { dim: 32, epochs: 2, batchSize: 8, negatives: 5 },
};

/** TINY_R2END_VALUES resolved, with `overrides` on top. */
export function tinyR2END(overrides: Record<string, unknown> = {}): TrainConfig {
  return resolveConfig([
    { source: 'tiny', values: TINY_R2END_VALUES },
    { source: 'test', values: overrides },
  ]);
}

/** Writes the template teacher's texts into the workspace `work` (through the CLI, as a user does). */
export function teachTemplate(work: string): void {
  const r = runCli(['teach', '--work', work, '--backend', 'template']);
  assert.equal(r.status, 0, r.stderr);
}

/** A workspace folder on the 20-user sequential fixture (3-core), prepared and taught through the CLI. */
export function taughtWorkspace(): string {
  const work = tempDir('r2end-work-');
  const r = runCli(['prepare', '--data', sequentialDataset(20), '--work', work, '--kcore', '3']);
  assert.equal(r.status, 0, r.stderr);
  teachTemplate(work);
  return work;
}
