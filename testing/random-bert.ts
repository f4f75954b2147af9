/**
 * Writes a BERT-family directory with random weights around a real tokenizer (tests and
 * benchmarks: no pretrained weights can be downloaded here).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random.js';
import { writePoolingConfig, type BertConfig } from '../src/encoder/bert.js';
import { writeSafetensors, type NamedTensor } from '../src/io/safetensors.js';

export interface RandomBertShape {
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  maxPositions?: number;
  pooling?: 'mean' | 'cls';
  normalize?: boolean;
}

/** tokenizerDir provides tokenizer.json (and tokenizer_config.json); its vocabulary size is used. */
export function writeRandomBert(dir: string, tokenizerDir: string, shape: RandomBertShape, seed = 1): void {
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(tokenizerDir, file), join(dir, file));
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  const vocab = Object.keys(tokenizer.model.vocab).length;
  const config: BertConfig = {
    model_type: 'bert',
    vocab_size: vocab,
    hidden_size: shape.hiddenSize,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: shape.maxPositions ?? 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(shape.normalize
      ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }]
      : []),
  ];
  writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules, null, 2) + '\n');
  writePoolingConfig(join(dir, '1_Pooling', 'config.json'), shape.pooling ?? 'mean', shape.hiddenSize);

  const random = new Random(seed);
  const h = shape.hiddenSize;
  const tensors = new Map<string, NamedTensor>();
  const normal = (name: string, dims: number[]) =>
    tensors.set(name, {
      shape: dims,
      data: random.normals(
        dims.reduce((a, b) => a * b, 1),
        0.02,
      ),
    });
  const constant = (name: string, n: number, value: number) =>
    tensors.set(name, { shape: [n], data: new Float32Array(n).fill(value) });
  const linear = (prefix: string, out: number, inp: number) => {
    normal(`${prefix}.weight`, [out, inp]);
    normal(`${prefix}.bias`, [out]);
  };
  const layerNorm = (prefix: string) => {
    constant(`${prefix}.weight`, h, 1);
    constant(`${prefix}.bias`, h, 0);
  };
  normal('embeddings.word_embeddings.weight', [vocab, h]);
  normal('embeddings.position_embeddings.weight', [config.max_position_embeddings, h]);
  normal('embeddings.token_type_embeddings.weight', [2, h]);
  layerNorm('embeddings.LayerNorm');
  for (let l = 0; l < shape.layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const part of ['query', 'key', 'value']) linear(`${p}attention.self.${part}`, h, h);
    linear(`${p}attention.output.dense`, h, h);
    layerNorm(`${p}attention.output.LayerNorm`);
    linear(`${p}intermediate.dense`, shape.intermediateSize, h);
    linear(`${p}output.dense`, h, shape.intermediateSize);
    layerNorm(`${p}output.LayerNorm`);
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}
