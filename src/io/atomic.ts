import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file so that a reader (or a killed writer) never sees half of it: the bytes go to a
 * temporary file beside it, which is then renamed over the target (atomic within a filesystem).
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
