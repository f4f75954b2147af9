/** Opens an encoder from a command-line style name: 'use-lite' or a model directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { loadBertDirectory } from './bert.js';
import type { EncoderLoadOptions, EngineEncoder } from './engine-encoder.js';
import { readSafetensors } from '../io/safetensors.js';
import { createUseLite, loadUseLite, useLiteMarkerFile } from './use-lite.js';

/**
 * 'use-lite': the packaged USE-lite. A directory: a saved fine-tuned USE-lite (has
 * r2end-encoder.json) or a BERT-family Hugging Face directory.
 */
export function loadEncoder(spec: string, options: EncoderLoadOptions = {}): EngineEncoder {
  if (spec === 'use-lite') return loadUseLite(options);
  const marker = join(spec, useLiteMarkerFile);
  if (existsSync(marker)) {
    const saved = readJsonFile<{ kind?: string; maxTokens?: number }>(marker, 'a saved USE-lite marker');
    if (saved.kind !== 'use-lite')
      throw new UserError(`${marker}: kind is '${String(saved.kind)}', expected 'use-lite'`);
    return createUseLite(readSafetensors(join(spec, 'model.safetensors')), spec, {
      maxTokens: saved.maxTokens,
      ...options,
    });
  }
  return loadBertDirectory(spec, options);
}
