import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readHistoryFile } from '../../src/rank/history-input.js';
import { readConfigFile } from '../../src/util/config-layers.js';
import { UserError } from '../../src/util/errors.js';
import { decodeUtf8, illFormedField, textProblem } from '../../src/util/utf8.js';
import { assertRefused, runCli } from '../support/cli.js';
import { tempDir, writeDir } from '../support/fixtures.js';

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('decodeUtf8 keeps valid text and turns each byte of an invalid sequence into U+DC80..U+DCFF', () => {
  assert.equal(decodeUtf8(bytes('caf\u00e9 \u{1f600}')), 'caf\u00e9 \u{1f600}');
  assert.equal(decodeUtf8(bytes('X', [0xe9])), 'X\udce9');
  assert.notEqual(decodeUtf8(bytes('X', [0xe9])), decodeUtf8(bytes('X', [0xe8])), 'distinct bytes stay distinct');
  assert.equal(decodeUtf8(bytes([0xc0, 0xaf])), '\udcc0\udcaf', 'overlong');
  assert.equal(decodeUtf8(bytes([0xed, 0xa0, 0x80])), '\udced\udca0\udc80', 'an encoded surrogate');
  assert.equal(decodeUtf8(bytes([0xf4, 0x90, 0x80, 0x80])), '\udcf4\udc90\udc80\udc80', 'above U+10FFFF');
  assert.equal(decodeUtf8(bytes('a', [0xe2, 0x82], 'b')), 'a\udce2\udc82b', 'cut short');
  assert.equal(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'x')), '\ufeffx', 'a BOM is text here (readers strip it)');
});

test('textProblem and illFormedField name the byte and the field', () => {
  assert.equal(textProblem('fine \u{1f600}'), undefined);
  assert.equal(textProblem('X\udce9'), 'not valid UTF-8 (byte 0xE9 at character 2)');
  assert.equal(textProblem('\ud800', false), 'not valid Unicode (lone surrogate \\ud800 at character 1)');
  assert.equal(
    illFormedField({ title: 'ok', categories: [['Beauty', 'Ha\udcefr']] }),
    'field "categories.0.1" is not valid UTF-8 (byte 0xEF at character 3)',
  );
  assert.match(illFormedField({ ['k\udce9']: 1 })!, /^a key of the value is not valid UTF-8/);
});

/** Runs prepare and expects exit 2 and one line naming the file, line and field. */
function refused(files: Record<string, string | Buffer>, pattern: RegExp) {
  const data = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(data, name), content);
  const work = join(tempDir(), 'w');
  assertRefused(runCli(['prepare', '--data', data, '--work', work, '--kcore', '1']), pattern);
}

const ITEMS = '{"item_id": "a", "title": "A"}\n{"item_id": "b", "title": "B"}\n';

test('ids that differ only in bytes that are not UTF-8 are refused, not merged into one U+FFFD id', () => {
  refused(
    {
      'interactions.csv': bytes('user_id,item_id,timestamp\nX', [0xe9], ',a,1\nX', [0xe8], ',b,2\n'),
      'items.jsonl': ITEMS,
    },
    /^r2end: interactions\.csv line 2: field "user_id" is not valid UTF-8 \(byte 0xE9 at character 2\)$/,
  );
  refused(
    {
      'interactions.csv': 'user_id,item_id,timestamp\nu,a,1\n',
      'items.jsonl': bytes('{"item_id": "a", "title": "Caf', [0xe9], '"}\n'),
    },
    /^r2end: items\.jsonl line 1: field "title" is not valid UTF-8 \(byte 0xE9 at character 4\)$/,
  );
  refused(
    {
      'interactions.csv': 'user_id,item_id,timestamp\nu,a,1\n',
      'items.jsonl': '{"item_id": "\\ud800", "title": "A"}\n',
    },
    /^r2end: items\.jsonl line 1: field "item_id" is not valid Unicode \(lone surrogate \\ud800/,
  );
});

test('history and config files: a byte that is not UTF-8 names the file, line and field', () => {
  const dir = writeDir({});
  const history = join(dir, 'history.jsonl');
  writeFileSync(history, bytes('{"text": "fine", "timestamp": 1}\n{"text": "caf', [0xe9], '", "timestamp": 2}\n'));
  assert.throws(
    () => readHistoryFile(history),
    (e: unknown) => e instanceof UserError && /^history\.jsonl line 2: field "text" is not valid UTF-8/.test(e.message),
  );
  const config = join(dir, 'config.json');
  writeFileSync(config, bytes('{\n  "teacher": {"model": "g', [0xff], '"}\n}\n'));
  assert.throws(
    () => readConfigFile(config),
    (e: unknown) =>
      e instanceof UserError && /config\.json line 2: field "teacher\.model" is not valid UTF-8/.test(e.message),
  );
});
