/**
 * Layered configuration (defaults < --config FILE < flags), shared by every model family: layers
 * are deep-merged in order and validated after each, so a bad value names the layer it came from.
 */
import type { z } from 'zod';
import { UserError } from './errors.js';
import { badByteLine, parsedTextProblem, readTextFile, textProblem } from './utf8.js';
import { formatIssue } from './zod.js';

/** Deep-merges plain objects (later wins); arrays and scalars are replaced. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlain(v) && isPlain(b) ? merge(b, v) : v;
  }
  return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One layer: where it came from (for messages) and its values. */
export type ConfigLayer = { source: string; values: Record<string, unknown> };

/** Merges layers (later wins) and validates after each, so an error names the layer it came from. */
export function resolveLayers<S extends z.ZodType>(schema: S, layers: ConfigLayer[]): z.infer<S> {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) {
    const parsed = schema.safeParse(merge(merged, layer.values));
    if (!parsed.success) {
      throw new UserError(`${layer.source}: ${formatIssue(parsed.error)}`);
    }
    merged = merge(merged, layer.values);
  }
  return schema.parse(merged);
}

export function readConfigFile(file: string): Record<string, unknown> {
  const text = readTextFile(file, `--config ${file}`);
  // A byte that is not UTF-8 is named by its line; a \u escape has none.
  const where = textProblem(text) ? `--config ${file} line ${badByteLine(text)}` : `--config ${file}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: ${textProblem(text) ?? `not valid JSON (${(err as Error).message})`}`);
  }
  const problem = parsedTextProblem(text, json);
  if (problem) throw new UserError(`${where}: ${problem}`);
  if (!isPlain(json)) throw new UserError(`--config ${file}: expected a JSON object`);
  return json;
}
