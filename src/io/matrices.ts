import { existsSync } from 'node:fs';
import { readSafetensorsFile, writeSafetensors, type NamedTensor } from './safetensors.js';
import { UserError } from '../util/errors.js';

/** Row-major float32 matrices stored by name in one safetensors file, written atomically. */
export function saveMatrices(
  path: string,
  matrices: Record<string, Matrix>,
  metadata: Record<string, string> = {},
): void {
  const tensors = new Map<string, NamedTensor>(
    Object.entries(matrices).map(([name, m]) => [name, { shape: [m.rows, m.cols], data: m.data }]),
  );
  writeSafetensors(path, tensors, metadata);
}

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Matrix `name` of a file written by saveMatrices, with the file's string metadata. */
export function loadMatrix(path: string, name: string): Matrix & { metadata: Record<string, string> } {
  if (!existsSync(path))
    throw new UserError(`${path}: missing; was training interrupted? run \`r2end train\` again to resume`);
  const { tensors, metadata } = readSafetensorsFile(path);
  const t = tensors.get(name);
  if (!t || t.shape.length !== 2) throw new UserError(`${path}: no matrix "${name}"`);
  return { rows: t.shape[0], cols: t.shape[1], data: t.data, metadata };
}
