/** `r2end encode`: embeds texts with an encoder, for trying one out. */
import { Option, type Command } from 'commander';
import { loadEncoder } from '../encoder/load.js';
import { PRECISIONS, type Precision } from '../engine/native.js';
import { check } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { checkTextLines, readTextFile } from '../util/utf8.js';

interface EncodeFlags {
  encoder: string;
  text: string[];
  file?: string;
  json?: boolean;
  batchSize: string;
  maxTokens?: string;
  device?: string;
  precision?: Precision;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  check(Number.isInteger(n) && n > 0, `${flag}: expected a positive integer, got '${value}'`);
  return n;
}

function readLines(path: string): string[] {
  const text = readTextFile(path, `--file ${path}`);
  checkTextLines(`--file ${path}`, text);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line
  return lines;
}

export function register(program: Command): void {
  program
    .command('encode')
    .description('embed texts with an encoder (use-lite or a Hugging Face BERT-family directory)')
    .option('--encoder <name>', "'use-lite' or a model directory", 'use-lite')
    .option(
      '--text <text>',
      'a text to embed (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--file <path>', 'a file with one text per line')
    .option('--json', 'print {"encoder","dim","embeddings"} on stdout')
    .option('--batch-size <n>', 'texts per engine call', '32')
    .option('--max-tokens <n>', "override the encoder's maximum tokens per text")
    .option('--device <device>', 'cpu (default), cuda or cuda:N with a CUDA build of the engine')
    .addOption(
      new Option('--precision <p>', 'compute precision (auto: bfloat16 where the CPU has it natively)')
        .choices([...PRECISIONS])
        .default('auto'),
    )
    .action(async (flags: EncodeFlags) => {
      const texts = [...flags.text, ...(flags.file ? readLines(flags.file) : [])];
      check(texts.length > 0, 'no texts: give --text (repeatable) or --file');
      const encoder = loadEncoder(flags.encoder, {
        maxTokens: flags.maxTokens === undefined ? undefined : positiveInteger(flags.maxTokens, '--max-tokens'),
        device: flags.device,
        precision: flags.precision,
      });
      const progress = flags.file ? new Progress('encode', texts.length, { unit: 'texts' }) : undefined;
      const vectors = await encoder.encode(texts, {
        batchSize: positiveInteger(flags.batchSize, '--batch-size'),
        onProgress: (done) => progress?.set(done),
      });
      progress?.finish();
      const rows = texts.map((_, i) => Array.from(vectors.subarray(i * encoder.dim, (i + 1) * encoder.dim)));
      if (flags.json) {
        process.stdout.write(JSON.stringify({ encoder: encoder.name, dim: encoder.dim, embeddings: rows }) + '\n');
        return;
      }
      process.stdout.write(
        `${encoder.name}: ${encoder.dim} dimensions, ${encoder.pooling} pooling${encoder.normalized ? ', unit norm' : ''}, ${encoder.precision}\n`,
      );
      rows.forEach((row, i) => {
        const head = row
          .slice(0, 6)
          .map((v) => v.toFixed(4))
          .join(', ');
        const norm = Math.hypot(...row).toFixed(4);
        const text = texts[i].length > 50 ? `${texts[i].slice(0, 47)}...` : texts[i];
        process.stdout.write(`${i + 1}. ${JSON.stringify(text)}  norm ${norm}  [${head}, ...]\n`);
      });
    });
}
