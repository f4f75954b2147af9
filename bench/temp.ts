import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempWork(): string {
  return mkdtempSync(join(tmpdir(), 'r2end-bench-'));
}
