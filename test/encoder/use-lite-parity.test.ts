// USE-lite in the engine against the package's own TensorFlow.js graph (wasm backend).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadUseLite, loadUseLiteVocabulary, useLitePackageDir } from '../../src/encoder/use-lite.js';
import { UseLiteTokenizer } from '../../src/encoder/use-lite-tokenizer.js';

const sentences = [
  'hello world',
  'The quick brown fox jumps over the lazy dog.',
  'I bought a LEGO City police station for my nephew.',
  '2014-02-04: LEGO City Police Station (Toys & Games; LEGO)',
  'Wireless noise-cancelling headphones with 30 hours of battery life',
  'A',
  '!!!',
  '   leading and trailing spaces   ',
  'double  spaces  between  words',
  'tabs\tand\nnewlines\nare unknown tokens',
  'Café crème brûlée à la française',
  'naïve coöperation façade',
  'Ünïcödé ÄÖÜ ß',
  '東京タワーは高いです',
  '北京欢迎你',
  'Привет, как дела?',
  'مرحبا بالعالم',
  'emoji 😀🎉👍 in text',
  'ﬁligree with a ligature and full-width ＡＢＣ１２３',
  'non\u00a0breaking\u3000space',
  '12345 67890 3.14159 -42 +7 1e10',
  'user@example.com https://example.org/path?q=1',
  'C++ and C# and F# are languages; so is JavaScript.',
  "It's a dog's life, isn't it?",
  '"Quoted" and «guillemets» and “curly quotes”',
  'ALL CAPS SENTENCE ABOUT SHOES',
  'all lower case sentence about shoes',
  'Size 10.5 US, width D (Medium), colour: black/white',
  'The user recently purchased hiking boots, a tent and a sleeping bag; they are likely planning a camping trip.',
  "Previously bought: Harry Potter and the Philosopher's Stone (Books; Fantasy; Bloomsbury)",
  'Kitchen: non-stick frying pan 28cm, induction compatible',
  'Beauty > Skin Care > Face > Moisturizers',
  'Sports & Outdoors | Cycling | Helmets',
  '???',
  '...',
  '-',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z',
  'The the the the the the the the',
  'Supercalifragilisticexpialidocious',
  'pneumonoultramicroscopicsilicovolcanoconiosis',
  'x'.repeat(300),
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(20),
  Array.from({ length: 60 }, (_, i) => `item${i}`).join(' '),
  'Short.',
  'Why do people buy umbrellas in summer?',
  'Great product, would buy again!!! 5/5 stars',
  'Terrible. Broke after two days. 1/5',
  'The battery lasts long but the screen is dim.',
  'Gift for my mother: a silk scarf and a candle set.',
  'Video games: The Legend of Zelda: Breath of the Wild (Nintendo Switch)',
  '2019-11-30: Instant Pot Duo 7-in-1 Electric Pressure Cooker, 6 Quart',
  'Zero-width\u200bjoiner and soft\u00adhyphen',
  '$19.99 — €17,50 — £15 — ¥2000',
  '#hashtag @mention ~tilde ^caret |pipe| \\backslash',
  'Mixed 中文 and English 和 日本語 text',
  '',
];

let graphReference: Promise<Float32Array> | undefined;

async function graphEmbeddings(ids: number[][]): Promise<Float32Array> {
  assert.ok(await tf.setBackend('wasm'), 'the wasm backend is available');
  const dir = useLitePackageDir();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const manifest = json.weightsManifest as Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const model = await tf.loadGraphModel({
    load: async () => ({ modelTopology: json.modelTopology, weightSpecs, weightData }),
  });
  const indices: number[][] = [];
  const values: number[] = [];
  ids.forEach((row, b) => row.forEach((id, j) => (indices.push([b, j]), values.push(id))));
  const output = (await model.executeAsync({
    indices: tf.tensor2d(indices, [indices.length, 2], 'int32'),
    values: tf.tensor1d(values, 'int32'),
  })) as tf.Tensor;
  return (await output.data()) as Float32Array;
}

for (const [precision, floor] of [
  ['float32', 0.9999],
  ['bfloat16', 0.999],
] as const)
  test(`USE-lite in the engine (${precision}) matches the TensorFlow.js graph on varied sentences (cosine >= ${floor})`, async () => {
    const tokenizer = new UseLiteTokenizer(loadUseLiteVocabulary());
    const ids = sentences.map((s) => tokenizer.encode(s));
    assert.ok(
      ids.some((r) => r.length > 128),
      'some sentence exercises the 128-token cut',
    );
    assert.equal(ids.at(-1)!.length, 0);
    // The graph drops trailing empty rows, so the empty sentence goes first for the reference.
    const order = [sentences.length - 1, ...sentences.keys()].slice(0, sentences.length);
    // The graph runs once for both precisions.
    const reference = await (graphReference ??= graphEmbeddings(order.map((i) => ids[i])));
    const warnings: string[] = [];
    const encoder = loadUseLite({ precision, onWarning: (m) => warnings.push(m) });
    const ours = await encoder.encode(sentences, { batchSize: 16 });
    assert.equal(ours.length, sentences.length * 512);
    assert.equal(warnings.length, 1, 'one truncation warning per encoder');
    let worst = 1;
    order.forEach((sentence, row) => {
      let dot = 0,
        a = 0,
        b = 0;
      for (let k = 0; k < 512; k++) {
        const x = ours[sentence * 512 + k],
          y = reference[row * 512 + k];
        dot += x * y;
        a += x * x;
        b += y * y;
      }
      const cosine = dot / Math.sqrt(a * b);
      worst = Math.min(worst, cosine);
      assert.ok(
        cosine >= floor,
        `sentence ${sentence} (${JSON.stringify(sentences[sentence]).slice(0, 40)}): cosine ${cosine}`,
      );
    });
    assert.ok(worst >= floor);
  });

test('the tokenizer follows the documented quirks', () => {
  const tokenizer = new UseLiteTokenizer(loadUseLiteVocabulary());
  assert.deepEqual(tokenizer.encode(''), []);
  assert.deepEqual(tokenizer.encode(' '), [30, 30], 'the prepended ▁ and the space each become ▁ (id 30)');
  const tabs = tokenizer.encode('a\t\tb');
  assert.equal(tabs.filter((id) => id === 0).length, 1, 'a run of unknown characters collapses into one id 0');
});
