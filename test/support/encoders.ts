// A tiny random BERT with MiniLM's real tokenizer, and vector helpers for the encoder tests.
import { join } from 'node:path';
import { sharedDir } from '../../src/util/paths.js';
import { writeRandomBert, type RandomBertShape } from '../../testing/random-bert.js';
import { tempDir } from './fixtures.js';

export const tinyBertShape: RandomBertShape = {
  hiddenSize: 32,
  layers: 2,
  heads: 4,
  intermediateSize: 64,
  maxPositions: 64,
  normalize: true,
};

/** A tiny BERT directory with random weights and MiniLM's real tokenizer. */
export function tinyBert(shape: Partial<RandomBertShape> = {}, seed = 7): string {
  const dir = join(tempDir(), 'bert');
  writeRandomBert(dir, sharedDir('models', 'all-MiniLM-L6-v2-tokenizer'), { ...tinyBertShape, ...shape }, seed);
  return dir;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    x = 0,
    y = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    x += a[i] * a[i];
    y += b[i] * b[i];
  }
  return dot / Math.sqrt(x * y);
}

export function row(m: Float32Array, i: number, dim: number): Float32Array {
  return m.subarray(i * dim, (i + 1) * dim);
}
