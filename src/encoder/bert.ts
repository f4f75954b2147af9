/**
 * BERT-family sentence encoders from a local Hugging Face / sentence-transformers directory:
 * config.json, model.safetensors, tokenizer.json, optional tokenizer_config.json, modules.json
 * (Normalize module -> L2 normalisation), 1_Pooling/config.json (mean or CLS), and
 * sentence_bert_config.json (max_seq_length). Weights keep their Hugging Face names.
 */
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { check, UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { EngineEncoder, type EncoderLoadOptions } from './engine-encoder.js';
import { readSafetensors, type NamedTensor } from '../io/safetensors.js';
import type { Tokenizer } from './types.js';

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size?: number;
  layer_norm_eps?: number;
  hidden_act?: string;
  model_type?: string;
}

function readConfig(dir: string): BertConfig {
  const path = join(dir, 'config.json');
  const config = readJsonFile(path, 'the model configuration');
  const modelType = config.model_type;
  check(
    modelType === undefined || modelType === 'bert',
    `${path}: model_type is '${String(modelType)}', expected 'bert' (a BERT-family encoder)`,
  );
  for (const field of [
    'vocab_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
    'max_position_embeddings',
  ] as const) {
    const value = config[field];
    check(
      typeof value === 'number' && Number.isInteger(value) && value > 0,
      `${path}: ${field} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  const act = config.hidden_act ?? 'gelu';
  check(
    ['gelu', 'gelu_new', 'gelu_pytorch_tanh'].includes(act as string),
    `${path}: hidden_act '${String(act)}' is not supported (expected gelu, gelu_new or gelu_pytorch_tanh)`,
  );
  return config as unknown as BertConfig;
}

interface SentenceTransformerModules {
  pooling: 'mean' | 'cls';
  normalize: boolean;
}

function readModules(dir: string): SentenceTransformerModules {
  const modulesPath = join(dir, 'modules.json');
  let poolingDir = '1_Pooling';
  let normalize = false;
  if (existsSync(modulesPath)) {
    const modules = readJsonFile(modulesPath, 'sentence-transformers modules') as unknown;
    check(Array.isArray(modules), `${modulesPath}: expected a JSON array of modules`);
    for (const m of modules as Array<{ type?: string; path?: string }>) {
      if (m.type?.endsWith('Normalize')) normalize = true;
      if (m.type?.endsWith('Pooling') && typeof m.path === 'string') poolingDir = m.path;
    }
  }
  const poolingPath = join(dir, poolingDir, 'config.json');
  if (!existsSync(poolingPath)) return { pooling: 'mean', normalize };
  const pooling = readJsonFile(poolingPath, 'pooling configuration');
  if (pooling.pooling_mode_cls_token === true) return { pooling: 'cls', normalize };
  check(
    pooling.pooling_mode_mean_tokens === true,
    `${poolingPath}: only pooling_mode_mean_tokens or pooling_mode_cls_token is supported`,
  );
  return { pooling: 'mean', normalize };
}

/** Hugging Face checkpoint names to the engine's: drop a 'bert.' prefix, old gamma/beta names, and heads. */
function bertTensors(path: string): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [raw, tensor] of readSafetensors(path)) {
    const name = raw
      .replace(/^bert\./, '')
      .replace(/LayerNorm\.gamma$/, 'LayerNorm.weight')
      .replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (name.startsWith('pooler.') || name.startsWith('cls.') || name === 'embeddings.position_ids') continue;
    out.set(name, tensor);
  }
  return out;
}

class BertTokenizer implements Tokenizer {
  constructor(private readonly tokenizer: HfTokenizer) {}
  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }
  /** Keeps [CLS] and the head of the text, and the closing [SEP]. */
  truncate(ids: number[], maxTokens: number): number[] {
    return [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]];
  }
}

function loadTokenizer(dir: string): { tokenizer: BertTokenizer; truncation?: number } {
  const path = join(dir, 'tokenizer.json');
  const json = readJsonFile(path, 'the tokenizer');
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJsonFile(configPath, 'tokenizer configuration') : {};
  try {
    const tokenizer = new BertTokenizer(new HfTokenizer(json, config));
    const truncation = (json.truncation as { max_length?: number } | null)?.max_length;
    return { tokenizer, truncation };
  } catch (error) {
    throw new UserError(`${path}: cannot build the tokenizer (${(error as Error).message})`);
  }
}

/** Files a saved directory copies from the source besides the weights. */
const companionFiles = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'config.json',
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
];

export function loadBertDirectory(dir: string, options: EncoderLoadOptions = {}): EngineEncoder {
  check(
    existsSync(dir) && statSync(dir).isDirectory(),
    `${dir}: not a directory (expected a Hugging Face model directory or 'use-lite')`,
  );
  const config = readConfig(dir);
  const { pooling, normalize } = readModules(dir);
  const { tokenizer, truncation } = loadTokenizer(dir);
  const weightsPath = join(dir, 'model.safetensors');
  check(existsSync(weightsPath), `${weightsPath}: missing (the weights; only safetensors is read)`);
  const sbertPath = join(dir, 'sentence_bert_config.json');
  const sbertMax = existsSync(sbertPath)
    ? readJsonFile(sbertPath, 'sentence-transformers configuration').max_seq_length
    : undefined;
  const maxTokens = Math.min(
    config.max_position_embeddings,
    typeof sbertMax === 'number' ? sbertMax : (truncation ?? config.max_position_embeddings),
  );
  return new EngineEncoder(
    {
      name: dir,
      kind: 'bert',
      config: {
        vocabSize: config.vocab_size,
        hiddenSize: config.hidden_size,
        numLayers: config.num_hidden_layers,
        numHeads: config.num_attention_heads,
        intermediateSize: config.intermediate_size,
        maxPositions: config.max_position_embeddings,
        typeVocabSize: config.type_vocab_size ?? 2,
        layerNormEps: config.layer_norm_eps ?? 1e-12,
        tanhGelu: config.hidden_act === 'gelu' || config.hidden_act === undefined ? 0 : 1,
        pooling: pooling === 'cls' ? 1 : 0,
        normalize: normalize ? 1 : 0,
      },
      tensors: bertTensors(weightsPath),
      tokenizer,
      dim: config.hidden_size,
      maxTokens,
      tokenLimit: config.max_position_embeddings,
      activationWidth: config.intermediate_size,
      pooling,
      normalized: normalize,
      embeddingPrefix: 'embeddings.',
      layerPrefix: (layer) => `encoder.layer.${layer}.`,
      writeFiles: (target) => {
        for (const file of companionFiles)
          if (existsSync(join(dir, file)) && join(dir, file) !== join(target, file))
            copyFileSync(join(dir, file), join(target, file));
        mkdirSync(join(target, '1_Pooling'), { recursive: true });
        copyPooling(dir, target, pooling, config.hidden_size);
      },
    },
    options,
  );
}

function copyPooling(source: string, target: string, pooling: 'mean' | 'cls', dim: number): void {
  const from = join(source, '1_Pooling', 'config.json');
  const to = join(target, '1_Pooling', 'config.json');
  if (from === to) return;
  if (existsSync(from)) copyFileSync(from, to);
  else writePoolingConfig(to, pooling, dim);
}

/** A sentence-transformers Pooling config for mean or CLS pooling. */
export function writePoolingConfig(path: string, pooling: 'mean' | 'cls', dim: number): void {
  const config = {
    word_embedding_dimension: dim,
    pooling_mode_cls_token: pooling === 'cls',
    pooling_mode_mean_tokens: pooling === 'mean',
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
  };
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
}
