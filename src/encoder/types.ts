/** What the rest of r2end needs from a sentence encoder. */
export interface EncodeOptions {
  /** Most texts per engine call (default 64; long texts go in smaller calls). */
  batchSize?: number;
  /** Called after each batch with the number of texts done so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface TextEncoder {
  /** 'use-lite' or the model directory. */
  readonly name: string;
  readonly dim: number;
  /** Longer texts are truncated (with one warning per encoder). */
  readonly maxTokens: number;
  readonly pooling: 'mean' | 'cls';
  readonly normalized: boolean;
  /** rows x dim, row-major, in the order of the texts. An empty list gives an empty array. */
  encode(texts: readonly string[], options?: EncodeOptions): Promise<Float32Array>;
}

/** Turns text into token ids (with the model's special tokens) and cuts over-long sequences. */
export interface Tokenizer {
  encode(text: string): number[];
  /** The first maxTokens tokens, keeping a trailing special token where the model has one. */
  truncate(ids: number[], maxTokens: number): number[];
}
