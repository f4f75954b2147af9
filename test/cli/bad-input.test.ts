// Bad input across every command, as one table: files, fields, flags, workspaces in every
// unfinished state, and HTTP requests to a served model. Each CLI case must exit 2 with exactly one
// stderr line naming the culprit (`expect`), no stack trace, and leave its folder as it was (no
// half-made workspace, no file changed). Each HTTP case must get its 4xx with {"error"} naming the
// culprit, and the server must log nothing. Add a row for every new refusal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  readlinkSync,
  renameSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Workspace } from '../../src/data/workspace.js';
import { CLI, runCli } from '../support/cli.js';
import { saveZeroEvaluation, sequentialDataset, tempDir } from '../support/fixtures.js';
import { startServer, trainedWorkspace, type Running } from '../serve/support.js';

/**
 * The workspace at ./w when the command runs: none, an empty folder, a database an old failed
 * prepare left (unprepared), a dataset of 0 users an old prepare kept, prepared (20 users, 8
 * items), taught (template teacher), trained (a tiny R2END), half-trained (killed in its last
 * stage), or prepared with a stored evaluation of 0 users.
 */
type State =
  | 'none'
  | 'empty'
  | 'unprepared'
  | 'emptyDataset'
  | 'prepared'
  | 'taught'
  | 'trained'
  | 'halfTrained'
  | 'zeroEvaluation';

interface CliCase {
  name: string;
  state?: State;
  /** Files written into the case's folder (the command's working directory) before it runs. */
  files?: Record<string, string | Buffer>;
  args: string[];
  expect: RegExp;
}

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const ITEMS = '{"item_id": "i1", "title": "One"}\n{"item_id": "i2", "title": "Two"}\n';
const HEADER = 'user_id,item_id,timestamp\n';
/** A plain dataset in ./d: interactions.csv (after the header) and items.jsonl. */
const plain = (rows: string | Buffer, items: string | Buffer = ITEMS) => ({
  'd/interactions.csv': typeof rows === 'string' ? HEADER + rows : Buffer.concat([Buffer.from(HEADER), rows]),
  'd/items.jsonl': items,
});
/** Three interactions for one user, so only the field under test is wrong. */
const ONE_USER = 'u,i1,1\nu,i2,2\nu,i1,3\n';
const PREPARE = ['prepare', '--data', 'd', '--work', 'w', '--kcore', '1'];
const review = (fields: Record<string, unknown>) =>
  JSON.stringify({ reviewerID: 'u', asin: 'A1', unixReviewTime: 1, overall: 5, ...fields });
const AMAZON_META = "{'asin': 'A1', 'title': 'One'}\n";

const CLI_CASES: CliCase[] = [
  // prepare: bytes and fields of the dataset files
  {
    name: 'user id not UTF-8',
    files: plain(bytes('X', [0xe9], ',i1,1\nX', [0xe8], ',i2,2\n')),
    args: PREPARE,
    expect: /interactions\.csv line 2: field "user_id" is not valid UTF-8 \(byte 0xE9 at character 2\)/,
  },
  {
    name: 'item id not UTF-8',
    files: plain(bytes('u,i', [0xff], ',1\n')),
    args: PREPARE,
    expect: /interactions\.csv line 2: field "item_id" is not valid UTF-8 \(byte 0xFF/,
  },
  {
    name: 'header not UTF-8',
    files: { 'd/interactions.csv': bytes('user_id,item_id,time', [0xc0, 0xaf], '\n'), 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /interactions\.csv line 1: the header is not valid UTF-8 \(byte 0xC0/,
  },
  {
    name: 'title not UTF-8',
    files: plain(ONE_USER, bytes('{"item_id": "i1", "title": "Caf', [0xe9], '"}\n')),
    args: PREPARE,
    expect: /items\.jsonl line 1: field "title" is not valid UTF-8 \(byte 0xE9 at character 4\)/,
  },
  {
    name: 'category not UTF-8',
    files: plain(
      ONE_USER,
      bytes('{"item_id": "i1", "title": "A", "categories": [["Beauty", "Ha', [0xed, 0xa0, 0x80], '"]]}\n'),
    ),
    args: PREPARE,
    expect: /items\.jsonl line 1: field "categories\.0\.1" is not valid UTF-8 \(byte 0xED/,
  },
  {
    name: 'a byte that is not UTF-8 outside any JSON string',
    files: plain(ONE_USER, bytes('{"item_id": "i1", ', [0xe9], ' "title": "A"}\n')),
    args: PREPARE,
    expect: /items\.jsonl line 1: not valid UTF-8 \(byte 0xE9 at character 19\)/,
  },
  {
    name: 'a lone surrogate escaped in an item id',
    files: plain(ONE_USER, '{"item_id": "i\\udc00", "title": "A"}\n'),
    args: PREPARE,
    expect: /items\.jsonl line 1: field "item_id" is not valid Unicode \(lone surrogate \\udc00/,
  },
  {
    name: 'interactions.csv with a header only',
    files: plain(''),
    args: PREPARE,
    expect: /interactions\.csv: no interactions, only a header line/,
  },
  {
    name: 'interactions.csv empty',
    files: { 'd/interactions.csv': '', 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /interactions\.csv: file is empty/,
  },
  { name: 'items.jsonl empty', files: plain(ONE_USER, ''), args: PREPARE, expect: /items\.jsonl: file is empty/ },
  {
    name: 'a required column missing',
    files: { 'd/interactions.csv': 'user_id,item_id\nu,i1\n', 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /interactions\.csv line 1: missing column "timestamp"/,
  },
  {
    name: 'a column named twice',
    files: { 'd/interactions.csv': 'user_id,item_id,timestamp,item_id\nu,i1,1,i2\n', 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /interactions\.csv line 1: column "item_id" appears twice/,
  },
  {
    name: 'a row with a field too many',
    files: plain('u,i1,1,5\n'),
    args: PREPARE,
    expect: /interactions\.csv line 2: 4 fields, expected 3 as in the header/,
  },
  { name: 'an empty user id', files: plain(',i1,1\n'), args: PREPARE, expect: /line 2: field "user_id" is empty/ },
  {
    name: 'timestamps in milliseconds',
    files: plain('u,i1,1300000000000\n'),
    args: PREPARE,
    expect: /line 2: field "timestamp" is 1300000000000: .*look like milliseconds; use --timestamp-unit ms/,
  },
  {
    name: 'a hexadecimal timestamp',
    files: plain('u,i1,0x10\n'),
    args: PREPARE,
    expect: /line 2: field "timestamp" is "0x10", expected Unix seconds as a decimal number/,
  },
  {
    name: 'a timestamp in exponent notation',
    files: plain('u,i1,1e300\n'),
    args: PREPARE,
    expect: /line 2: field "timestamp" is "1e300", expected Unix seconds as a decimal number/,
  },
  {
    name: 'a negative timestamp',
    files: plain('u,i1,-5\n'),
    args: PREPARE,
    expect: /line 2: field "timestamp" is -5, expected Unix seconds from 0 \(1970\)/,
  },
  {
    name: 'a timestamp in words',
    files: plain('u,i1,yesterday\n'),
    args: PREPARE,
    expect: /line 2: field "timestamp" is "yesterday"/,
  },
  {
    name: 'milliseconds after the year 5138',
    files: plain('u,i1,1300000000000000\n'),
    args: [...PREPARE, '--timestamp-unit', 'ms'],
    expect: /line 2: field "timestamp" is 1300000000000000, expected Unix milliseconds from 0/,
  },
  {
    name: 'a hexadecimal rating',
    files: { 'd/interactions.csv': 'user_id,item_id,timestamp,rating\nu,i1,1,0x4\n', 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /line 2: field "rating" is "0x4", expected a decimal number/,
  },
  {
    name: 'items.jsonl not JSON',
    files: plain(ONE_USER, '{"item_id": "i1",\n'),
    args: PREPARE,
    expect: /items\.jsonl line 1: not valid JSON/,
  },
  {
    name: 'an item title that is not a string',
    files: plain(ONE_USER, '{"item_id": "i1", "title": ["One"]}\n'),
    args: PREPARE,
    expect: /items\.jsonl line 1: field "title": .*expected string, received array/,
  },
  {
    name: 'an item line that is an array',
    files: plain(ONE_USER, '[1]\n'),
    args: PREPARE,
    expect: /items\.jsonl line 1: .*expected object, received array/,
  },
  {
    name: 'an interaction whose item has no metadata',
    files: plain('u,i1,1\nu,i9,2\n'),
    args: PREPARE,
    expect: /interactions\.csv line 3: item "i9" has no metadata in items\.jsonl/,
  },
  {
    name: '--missing-meta drop removing every interaction',
    files: plain('u,i8,1\nu,i9,2\n'),
    args: [...PREPARE, '--missing-meta', 'drop'],
    expect: /--missing-meta drop removed every interaction/,
  },
  {
    name: '--kcore removing every user',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', 'w', '--kcore', '1000000'],
    expect: /--kcore 1000000 removed every user \(the densest item has 2 interactions, the most active user 3\)/,
  },
  {
    name: 'no user with the 3 interactions of a split',
    files: plain('u,i1,1\nu,i2,2\nv,i1,3\n'),
    args: PREPARE,
    expect: /no user has the 3 interactions a leave-one-out split needs/,
  },
  {
    name: 'interactions.csv.gz that is not gzip',
    files: { 'd/interactions.csv.gz': HEADER + ONE_USER, 'd/items.jsonl': ITEMS },
    args: PREPARE,
    expect: /interactions\.csv\.gz line 1: not valid gzip data/,
  },
  {
    name: 'items.jsonl without interactions.csv',
    files: { 'd/items.jsonl.gz': gzipSync(ITEMS) },
    args: PREPARE,
    expect: /--data .*d: items\.jsonl but no interactions\.csv/,
  },
  {
    name: 'a dataset folder without dataset files',
    files: { 'd/notes.txt': 'x' },
    args: PREPARE,
    expect: /--data .*d: no known dataset files/,
  },
  {
    name: 'amazon: a review time that is not a number',
    files: { 'd/reviews_X.json': review({ unixReviewTime: 'x' }) + '\n', 'd/meta_X.json': AMAZON_META },
    args: PREPARE,
    expect: /reviews_X\.json line 1: field "unixReviewTime" is "x", expected Unix seconds/,
  },
  {
    name: 'amazon: review times in milliseconds',
    files: { 'd/reviews_X.json': review({ unixReviewTime: 1.3e12 }) + '\n', 'd/meta_X.json': AMAZON_META },
    args: PREPARE,
    expect: /reviews_X\.json line 1: field "unixReviewTime" is 1300000000000: .*use --timestamp-unit ms/,
  },
  {
    name: 'amazon: a reviewer id not UTF-8',
    files: {
      'd/reviews_X.json.gz': gzipSync(bytes('{"reviewerID": "u', [0xe9], '", "asin": "A1", "unixReviewTime": 1}\n')),
      'd/meta_X.json.gz': gzipSync(AMAZON_META),
    },
    args: PREPARE,
    expect: /reviews_X\.json\.gz line 1: field "reviewerID" is not valid UTF-8 \(byte 0xE9/,
  },
  {
    name: 'amazon: two reviews files',
    files: { 'd/a.json': review({}), 'd/b.json': review({}), 'd/meta_X.json': AMAZON_META },
    args: PREPARE,
    expect: /an Amazon dump folder needs exactly one meta_\*\.json\[l\]\[\.gz\] and one reviews/,
  },
  {
    name: 'yelp: a date that is not a date',
    files: {
      'd/yelp_academic_dataset_review.json': '{"user_id": "u", "business_id": "b", "date": "yesterday"}\n',
      'd/yelp_academic_dataset_business.json': '{"business_id": "b", "name": "B"}\n',
    },
    args: PREPARE,
    expect: /yelp_academic_dataset_review\.json line 1: field "date" is "yesterday"/,
  },
  {
    name: 'yelp: --timestamp-unit ms',
    files: {
      'd/yelp_academic_dataset_review.json': '{"user_id": "u", "business_id": "b", "date": "2020-01-01 00:00:00"}\n',
      'd/yelp_academic_dataset_business.json': '{"business_id": "b", "name": "B"}\n',
    },
    args: [...PREPARE, '--timestamp-unit', 'ms'],
    expect: /--timestamp-unit ms: only for numeric timestamps; Yelp has dates/,
  },
  {
    name: 'amazon 2023: a meta line without parent_asin',
    files: {
      'd/Beauty.jsonl': '{"user_id": "u", "parent_asin": "P1", "timestamp": 1588615855070}\n',
      'd/meta_Beauty.jsonl': '{"title": "One", "asin": "P1"}\n',
    },
    args: PREPARE,
    expect: /meta_Beauty\.jsonl line 1: field "parent_asin" is missing, expected a non-empty string/,
  },
  {
    name: 'amazon 2023: timestamps in seconds',
    files: {
      'd/Beauty.jsonl': '{"user_id": "u", "parent_asin": "P1", "timestamp": 1588615855}\n',
      'd/meta_Beauty.jsonl': '{"title": "One", "parent_asin": "P1"}\n',
    },
    args: PREPARE,
    expect:
      /Beauty\.jsonl line 1: field "timestamp" is 1588615855: Amazon Reviews 2023 timestamps are Unix milliseconds, .* so these look like seconds/,
  },
  {
    name: 'amazon: --format amazon on an Amazon Reviews 2023 dump',
    files: {
      'd/Beauty.jsonl': '{"user_id": "u", "parent_asin": "P1", "timestamp": 1588615855070}\n',
      'd/meta_Beauty.jsonl': '{"title": "One", "parent_asin": "P1"}\n',
    },
    args: [...PREPARE, '--format', 'amazon'],
    expect:
      /--format amazon: Beauty\.jsonl is Amazon Reviews 2023 \(its first line has "parent_asin"\); use --format amazon2023 or auto/,
  },
  {
    name: 'amazon: a reviews file of neither release',
    files: { 'd/Beauty.jsonl': '{"user": "u", "item": "P1"}\n', 'd/meta_Beauty.jsonl': AMAZON_META },
    args: PREPARE,
    expect:
      /Beauty\.jsonl line 1: neither an Amazon 2014\/2018 review .* nor an Amazon Reviews 2023 review .*; its fields are user, item/,
  },
  {
    name: 'recbole: a header without types',
    files: { 'd/ml.inter': 'user_id:token\titem_id\ttimestamp:float\nu\ti1\t1\n' },
    args: PREPARE,
    expect: /ml\.inter line 1: column "item_id" has no type \(a RecBole header names each column as name:type/,
  },
  {
    name: 'recbole: two .inter files',
    files: { 'd/ml.train.inter': 'x\n', 'd/ml.test.inter': 'x\n' },
    args: PREPARE,
    expect: /a RecBole folder needs exactly one \.inter file, found ml\.test\.inter, ml\.train\.inter/,
  },
  {
    name: 'movielens: a malformed :: line',
    files: { 'd/ratings.dat': '1::10::5::978300760\n1::11::978300761\n', 'd/movies.dat': '10::A (1995)::Drama\n' },
    args: PREPARE,
    expect: /ratings\.dat line 2: 3 fields separated by "::", expected 4 \(UserID::MovieID::Rating::Timestamp\)/,
  },
  {
    name: 'csv: --format csv without --columns',
    files: { 'd/e.csv': 'uid,sku,ts\nu,i1,1\n' },
    args: [...PREPARE, '--format', 'csv'],
    expect: /--format csv needs --columns user=COLUMN,item=COLUMN,time=COLUMN\[,rating=COLUMN\]/,
  },
  {
    name: 'csv: a mapped column missing',
    files: { 'd/e.csv': 'uid,sku,when\nu,i1,1\n' },
    args: ['prepare', '--data', 'd/e.csv', '--work', 'w', '--format', 'csv', '--columns', 'user=uid,item=sku,time=ts'],
    expect:
      /e\.csv line 1: missing column "ts" \(header is "uid,sku,when"; named by --columns user=uid,item=sku,time=ts\)/,
  },
  {
    name: 'csv: --columns with an unknown key',
    files: { 'd/e.csv': 'uid,sku,ts\nu,i1,1\n' },
    args: [...PREPARE, '--format', 'csv', '--columns', 'user=uid,item=sku,time=ts,price=p'],
    expect: /--columns user=uid,item=sku,time=ts,price=p: unknown key "price" \(expected user, item, time, rating\)/,
  },
  {
    name: 'csv: --data a file for another format',
    files: { 'd/e.csv': 'uid,sku,ts\nu,i1,1\n' },
    args: ['prepare', '--data', 'd/e.csv', '--work', 'w'],
    expect: /--data d\/e\.csv: not a directory \(only --format csv reads a single file\)/,
  },
  {
    name: '--columns for the plain format',
    files: plain(ONE_USER),
    args: [...PREPARE, '--columns', 'user=user_id'],
    expect: /--columns: only for --format csv or recbole \(this dataset is plain\)/,
  },
  {
    name: '--items for the plain format',
    files: plain(ONE_USER),
    args: [...PREPARE, '--items', 'd/items.jsonl'],
    expect: /--items: only for --format csv \(the plain format names its own item file\)/,
  },
  // prepare: flags and workspace paths
  {
    name: '--work empty',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', ''],
    expect: /--work: empty/,
  },
  {
    name: '--work a file',
    files: { ...plain(ONE_USER), file: 'x' },
    args: ['prepare', '--data', 'd', '--work', 'file'],
    expect: /--work file: not a folder/,
  },
  {
    name: '--work under a file',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', '/dev/null/x'],
    expect: /--work \/dev\/null\/x: \/dev\/null is not a folder/,
  },
  {
    name: '--work where mkdir answers ENOENT',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', '/proc/x'],
    expect: /--work \/proc\/x: cannot create \/proc\/x \(ENOENT\)/,
  },
  { name: '--data empty', args: ['prepare', '--data', '', '--work', 'w'], expect: /--data: empty/ },
  {
    name: '--data missing',
    args: ['prepare', '--data', 'nowhere', '--work', 'w'],
    expect: /--data nowhere: not found, expected a dataset folder/,
  },
  {
    name: '--kcore 0',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', 'w', '--kcore', '0'],
    expect: /--kcore 0: expected a whole number >= 1/,
  },
  {
    name: '--kcore not a number',
    files: plain(ONE_USER),
    args: ['prepare', '--data', 'd', '--work', 'w', '--kcore', '5x'],
    expect: /--kcore 5x: expected a whole number >= 1/,
  },
  {
    name: '--timestamp-unit unknown',
    files: plain(ONE_USER),
    args: [...PREPARE, '--timestamp-unit', 'h'],
    expect: /--timestamp-unit.*'h' is invalid/,
  },
  {
    name: 'prepare over a prepared workspace',
    state: 'prepared',
    files: plain(ONE_USER),
    args: PREPARE,
    expect: /--work w: already holds a prepared dataset; use a new workspace or --force/,
  },
  {
    name: 'a workspace database that is not SQLite',
    files: { ...plain(ONE_USER), 'w/r2end.sqlite': 'not a database, '.repeat(64) },
    args: PREPARE,
    expect: /--work w: .*r2end\.sqlite is not a usable workspace database \(file is not a database\)/,
  },
  // later commands on workspaces in every unfinished state
  {
    name: 'teach without a workspace',
    args: ['teach', '--work', 'w', '--backend', 'template'],
    expect: /no workspace there/,
  },
  {
    name: 'evaluate on an empty folder',
    state: 'empty',
    args: ['evaluate', '--work', 'w', '--recommender', 'pop'],
    expect: /--work w: no workspace there/,
  },
  ...(
    [
      ['teach', '--backend', 'template'],
      ['train'],
      ['evaluate', '--recommender', 'pop'],
      ['hybrid', '--parts', 'pop,itemknn'],
      ['recommend', '--user', 'u1'],
      ['report'],
      ['serve', '--port', '0'],
    ] as const
  ).flatMap(([command, ...rest]): CliCase[] => [
    {
      name: `${command} on a database a failed prepare left`,
      state: 'unprepared',
      args: [command, '--work', 'w', ...rest],
      expect: /--work w: no prepared dataset \(an earlier prepare did not finish\)/,
    },
    {
      name: `${command} on a dataset of 0 users`,
      state: 'emptyDataset',
      args: [command, '--work', 'w', ...rest],
      expect: /--work w: the prepared dataset old has no users; prepare it again with --force and a smaller --kcore/,
    },
  ]),
  {
    name: 'train before teach',
    state: 'prepared',
    args: ['train', '--work', 'w'],
    expect: /--work \S+: no teacher has run in this workspace; run `r2end teach --work/,
  },
  {
    name: 'evaluate r2end before train',
    state: 'prepared',
    args: ['evaluate', '--work', 'w', '--recommender', 'r2end'],
    expect: /--recommender r2end: unknown; expected one of pop, itemknn \(train it first/,
  },
  {
    name: 'teach --show an unknown user',
    state: 'taught',
    args: ['teach', '--work', 'w', '--show', 'nobody'],
    expect: /--show nobody: no such user in this workspace/,
  },
  {
    name: 'recommend before train',
    state: 'taught',
    args: ['recommend', '--work', 'w', '--user', 'u1'],
    expect:
      /no trained model with a validation score in \S+\/w; train one \(r2end train --work \S+\) or name one with --model/,
  },
  {
    name: 'recommend --model r2end before train',
    state: 'taught',
    args: ['recommend', '--work', 'w', '--model', 'r2end', '--user', 'u1'],
    expect: /--recommender r2end: unknown; expected one of pop, itemknn \(train it first/,
  },
  {
    name: 'serve before train',
    state: 'taught',
    args: ['serve', '--work', 'w'],
    expect: /no trained model with a validation score in \S+\/w/,
  },
  {
    name: 'hybrid of a model not trained',
    state: 'taught',
    args: ['hybrid', '--work', 'w', '--parts', 'r2end,pop'],
    expect: /--parts: r2end: unknown/,
  },
  {
    name: 'evaluate a model killed in its last stage',
    state: 'halfTrained',
    args: ['evaluate', '--work', 'w', '--recommender', 'r2end'],
    expect: /--recommender r2end: unknown/,
  },
  {
    name: 'recommend from a model killed in its last stage',
    state: 'halfTrained',
    args: ['recommend', '--work', 'w', '--model', 'r2end', '--user', 'u1'],
    expect: /--recommender r2end: unknown/,
  },
  {
    name: 'serve a model killed in its last stage',
    state: 'halfTrained',
    args: ['serve', '--work', 'w', '--port', '0'],
    expect: /no trained model with a validation score/,
  },
  {
    name: 'report on a stored evaluation of 0 users',
    state: 'zeroEvaluation',
    args: ['report', '--work', 'w'],
    expect: /the stored evaluation of pop \(test split\) has 0 users; evaluate it again/,
  },
  // flags and files of the later commands
  {
    name: 'recommend for an unknown user',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--user', 'nobody'],
    expect: /--user nobody: not a user of this workspace/,
  },
  {
    name: 'a history file not UTF-8',
    state: 'trained',
    files: { 'h.jsonl': bytes('{"text": "caf', [0xe9], '", "timestamp": 1600000000}\n') },
    args: ['recommend', '--work', 'w', '--history', 'h.jsonl'],
    expect: /h\.jsonl line 1: field "text" is not valid UTF-8 \(byte 0xE9/,
  },
  {
    name: 'a history file missing',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--history', 'none.jsonl'],
    expect: /--history none\.jsonl: cannot read \(ENOENT\)/,
  },
  {
    name: 'a history item unknown',
    state: 'trained',
    files: { 'h.jsonl': '{"item_id": "zz", "timestamp": 1600000000}\n' },
    args: ['recommend', '--work', 'w', '--history', 'h.jsonl'],
    expect: /h\.jsonl line 1: item_id "zz" is not an item of this workspace/,
  },
  {
    name: 'recommend --model a path',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--user', 'u1', '--model', '../../x'],
    expect: /--model \.\.\/\.\.\/x: use letters, digits/,
  },
  {
    name: 'recommend --all with --user',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--user', 'u1', '--out', 'r.jsonl'],
    expect: /give exactly one of --user ID, --history FILE and --all \(got --user and --all\)/,
  },
  {
    name: 'recommend with neither --user, --history nor --all',
    state: 'trained',
    args: ['recommend', '--work', 'w'],
    expect: /give exactly one of --user ID, --history FILE and --all$/,
  },
  {
    name: 'recommend --all without --out',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all'],
    expect: /--all: give --out FILE, where the recommendations go/,
  },
  {
    name: 'recommend --out without --all',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--user', 'u1', '--out', 'r.jsonl'],
    expect: /--out: only with --all \(--user and --history print to stdout\)/,
  },
  {
    name: 'recommend --format without --all',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--user', 'u1', '--format', 'csv'],
    expect: /--format: only with --all/,
  },
  {
    name: 'recommend --batch-size without --all',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--user', 'u1', '--batch-size', '8'],
    expect: /--batch-size: only with --all/,
  },
  {
    name: 'recommend --all with --json',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.jsonl', '--json'],
    expect: /--json: not with --all \(--format chooses JSON lines or CSV\)/,
  },
  {
    name: 'recommend --all --out in a missing folder',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'nowhere/r.jsonl'],
    expect: /--out nowhere\/r\.jsonl: the folder nowhere does not exist/,
  },
  {
    name: 'recommend --all --out under a file',
    state: 'trained',
    files: { f: 'a file' },
    args: ['recommend', '--work', 'w', '--all', '--out', 'f/r.jsonl'],
    expect: /--out f\/r\.jsonl: f is not a folder/,
  },
  {
    name: 'recommend --all --out a folder',
    state: 'trained',
    files: { 'r.jsonl/keep': '' },
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.jsonl'],
    expect: /--out r\.jsonl: is a folder, expected a file/,
  },
  {
    name: 'recommend --all --out empty',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', ''],
    expect: /--out: empty, expected a file name/,
  },
  {
    name: 'recommend --all --out of no known format',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.txt'],
    expect: /--out r\.txt: cannot tell the format from its name; name it \.jsonl or \.csv, or give --format jsonl\|csv/,
  },
  {
    name: 'recommend --all --format unknown',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.jsonl', '--format', 'xml'],
    expect: /--format xml: expected jsonl or csv/,
  },
  {
    name: 'recommend --all --batch-size 0',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.jsonl', '--batch-size', '0'],
    expect: /--batch-size 0: expected a whole number 1\.\.100000/,
  },
  {
    name: 'recommend --all from a model not trained',
    state: 'trained',
    args: ['recommend', '--work', 'w', '--all', '--out', 'r.jsonl', '--model', 'sasrec'],
    expect: /--recommender sasrec: unknown; expected one of pop, itemknn, r2end \(train it first/,
  },
  {
    name: 'serve --model a path',
    state: 'trained',
    args: ['serve', '--work', 'w', '--model', '../../x'],
    expect: /--model \.\.\/\.\.\/x: use letters, digits/,
  },
  {
    name: 'train --name ..',
    state: 'taught',
    args: ['train', '--work', 'w', '--name', '..'],
    expect: /--name \.\.: use letters/,
  },
  {
    name: 'train --from a path',
    state: 'taught',
    args: ['train', '--work', 'w', '--name', 'b', '--from', '../x'],
    expect: /--from \.\.\/x: use letters/,
  },
  {
    name: 'hybrid --name a path',
    state: 'taught',
    args: ['hybrid', '--work', 'w', '--parts', 'pop,itemknn', '--name', 'a/b'],
    expect: /--name a\/b: use letters/,
  },
  {
    name: 'a config file not UTF-8',
    state: 'taught',
    files: { 'c.json': bytes('{"teacher": {"model": "g', [0xff], '"}}') },
    args: ['train', '--work', 'w', '--config', 'c.json'],
    expect: /--config c\.json line 1: field "teacher\.model" is not valid UTF-8 \(byte 0xFF/,
  },
  {
    name: 'a config file not JSON',
    state: 'taught',
    files: { 'c.json': '{"distill": ' },
    args: ['train', '--work', 'w', '--config', 'c.json'],
    expect: /--config c\.json: not valid JSON/,
  },
  {
    name: 'a template file not UTF-8',
    state: 'prepared',
    files: { 't.txt': bytes('line one\nline ', [0x80], ' two\n') },
    args: ['teach', '--work', 'w', '--backend', 'template', '--reasoning-template', 't.txt'],
    expect: /--reasoning-template t\.txt line 2: not valid UTF-8 \(byte 0x80 at character 6\)/,
  },
  {
    name: 'a batch result file not UTF-8',
    state: 'prepared',
    files: { 'r.jsonl': bytes('{"custom_id": "a', [0xe9], '"}\n') },
    args: ['teach', '--work', 'w', '--backend', 'batch', '--model', 'm', '--import', 'r.jsonl'],
    expect: /--import r\.jsonl:1: field "custom_id" is not valid UTF-8/,
  },
  {
    name: 'a text import file not UTF-8',
    state: 'prepared',
    files: { 't.jsonl': bytes('{"user_id": "u1", "text": "caf', [0xe9], '"}\n') },
    args: ['teach', '--work', 'w', '--import', 't.jsonl', '--what', 'reasoning', '--teacher-model', 'x'],
    expect: /--import t\.jsonl:1: field "text" is not valid UTF-8/,
  },
  {
    name: 'a text import line that is not an object',
    state: 'prepared',
    files: { 't.jsonl': '["u1", "text"]\n' },
    args: ['teach', '--work', 'w', '--import', 't.jsonl', '--what', 'reasoning', '--teacher-model', 'x'],
    expect: /--import t\.jsonl:1: not a JSON object \(expected one \{"user_id", "text"\} object per line\)/,
  },
  {
    name: 'a text import with nothing to import',
    state: 'prepared',
    files: { 't.jsonl': '{"user_id": "nobody", "text": "hello"}\n' },
    args: ['teach', '--work', 'w', '--import', 't.jsonl', '--what', 'reasoning', '--teacher-model', 'x'],
    expect: /--import t\.jsonl: nothing to import \(1 line; refused: unknown id 1,/,
  },
  {
    name: 'an encode file not UTF-8',
    files: { 't.txt': bytes('caf', [0xe9], '\n') },
    args: ['encode', '--file', 't.txt'],
    expect: /--file t\.txt line 1: not valid UTF-8 \(byte 0xE9 at character 4\)/,
  },
  {
    name: 'report --out under a file',
    state: 'prepared',
    args: ['report', '--work', 'w', '--out', '/dev/null/x'],
    expect: /--out \/dev\/null\/x: cannot write \(ENOTDIR\)/,
  },
  {
    name: 'report --out empty',
    state: 'prepared',
    args: ['report', '--work', 'w', '--out', ''],
    expect: /--out: empty/,
  },
  {
    name: 'export into a folder that is not empty',
    state: 'prepared',
    files: { 'out/notes.txt': 'mine' },
    args: ['export', '--work', 'w', '--format', 'recbole', '--out', 'out'],
    expect: /--out out: exists and is not empty; use --force to replace it/,
  },
  {
    name: 'export --force over a folder holding other files',
    state: 'prepared',
    files: { 'out/notes.txt': 'mine' },
    args: ['export', '--work', 'w', '--format', 'recbole', '--out', 'out', '--force'],
    expect: /--out out: holds notes\.txt, which this command did not write; not replaced even with --force/,
  },
  {
    name: 'export over a file',
    state: 'prepared',
    files: { out: 'mine' },
    args: ['export', '--work', 'w', '--format', 'recbole', '--out', 'out', '--force'],
    expect: /--out out: exists and is not a folder/,
  },
  {
    name: 'export in an unknown format',
    state: 'prepared',
    args: ['export', '--work', 'w', '--format', 'parquet', '--out', 'out'],
    expect: /option '--format <format>' argument 'parquet' is invalid/,
  },
  {
    name: 'export before prepare',
    state: 'unprepared',
    args: ['export', '--work', 'w', '--format', 'recbole', '--out', 'out'],
    expect: /--work w: no prepared dataset \(an earlier prepare did not finish\)/,
  },
  {
    name: 'evaluate with a cut item index',
    state: 'trained',
    files: { 'w/models/r2end/index.safetensors': Buffer.alloc(40) },
    args: ['evaluate', '--work', 'w', '--recommender', 'r2end'],
    expect: /index\.safetensors: not a valid safetensors file/,
  },
];

/** Lines a command logs on stderr before it reads far enough to refuse (prepare names its files). */
const LOG = /^reading \S+/;

const built = new Map<State, Promise<string>>();

/** A template of each workspace state, built once and copied for every case. */
function template(state: State): Promise<string> {
  if (!built.has(state)) built.set(state, build(state));
  return built.get(state)!;
}

async function build(state: State): Promise<string> {
  const w = join(tempDir('r2end-bad-input-'), 'w');
  const dataset = (users: number) => {
    const ws = Workspace.open(w, { create: true });
    ws.setMeta('dataset', { name: 'old', source: '', format: 'plain', kcore: 5, users, items: 0, interactions: 0 });
    ws.close();
  };
  const run = (args: string[]) => assert.equal(runCli(args).status, 0, args.join(' '));
  if (state === 'empty') mkdirSync(w);
  else if (state === 'unprepared') Workspace.open(w, { create: true }).close();
  else if (state === 'emptyDataset') dataset(0);
  else if (state === 'prepared' || state === 'zeroEvaluation')
    run(['prepare', '--data', sequentialDataset(20), '--work', w, '--kcore', '3']);
  else if (state === 'taught') {
    cpSync(await template('prepared'), w, { recursive: true, verbatimSymlinks: true });
    run(['teach', '--work', w, '--backend', 'template']);
  } else if (state === 'trained') cpSync(await trainedWorkspace(), w, { recursive: true, verbatimSymlinks: true });
  else if (state === 'halfTrained') {
    cpSync(await template('trained'), w, { recursive: true, verbatimSymlinks: true });
    // Killed before it published: the stages are in the staging folder, nothing is published.
    rmSync(join(w, 'models', 'r2end'));
    const model = join(w, 'models', '.r2end', 'staging');
    renameSync(join(w, 'models', '.r2end', 'v1'), model);
    for (const f of ['bundle.json', 'index.safetensors', 'item_ids.json', 'training.json', 'MODEL.md'])
      rmSync(join(model, f), { force: true });
    const stages = JSON.parse(readFileSync(join(model, 'stages.json'), 'utf8'));
    delete stages.bundle;
    writeFileSync(join(model, 'stages.json'), JSON.stringify(stages));
  }
  if (state === 'zeroEvaluation') saveZeroEvaluation(w);
  return w;
}

/** Every file and folder under `dir`, with each file's sha256: what "nothing written" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(dir, f);
    const stat = lstatSync(path);
    // A published model is a link to its version folder: what it points at is the state.
    out[f] = stat.isSymbolicLink()
      ? `link -> ${readlinkSync(path)}`
      : stat.isDirectory()
        ? 'folder'
        : createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

test(`the table holds at least 60 CLI cases (${CLI_CASES.length})`, () => {
  assert.ok(CLI_CASES.length >= 60);
  assert.equal(new Set(CLI_CASES.map((c) => c.name)).size, CLI_CASES.length, 'names are unique');
});

for (const c of CLI_CASES) {
  test(`${c.args[0]}: ${c.name}`, async () => {
    const root = tempDir('r2end-bad-input-');
    if (c.state && c.state !== 'none')
      cpSync(await template(c.state), join(root, 'w'), { recursive: true, verbatimSymlinks: true });
    for (const [name, content] of Object.entries(c.files ?? {})) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), content);
    }
    const before = snapshot(root);
    const r = spawnSync(process.execPath, [CLI, ...c.args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 2, `exit ${r.status ?? r.signal}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !LOG.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], c.expect);
    assert.deepEqual(snapshot(root), before, 'nothing written where the command refused');
  });
}

interface HttpCase {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  type?: string;
  status: number;
  error: RegExp;
}

const recommend = (body: string | Buffer): Pick<HttpCase, 'method' | 'path' | 'body' | 'type'> => ({
  method: 'POST',
  path: '/v1/recommend',
  body,
  type: 'application/json',
});

const HTTP_CASES: HttpCase[] = [
  {
    name: 'a __proto__ key',
    ...recommend('{"history": [{"item_id": "i1"}], "__proto__": {"k": 100}}'),
    status: 400,
    error: /^body: key "__proto__" is not allowed$/,
  },
  {
    name: 'a nested constructor.prototype',
    ...recommend('{"history": [{"item_id": "i1", "constructor": {"prototype": {}}}]}'),
    status: 400,
    error: /^body: key "constructor" is not allowed$/,
  },
  { name: 'a bad %-escape in a path', method: 'GET', path: '/%ff', status: 400, error: /^path: not a valid URL/ },
  {
    name: 'a bad %-escape in a user id',
    method: 'GET',
    path: '/v1/users/%ff/recommendations',
    status: 400,
    error: /^path: not a valid URL/,
  },
  {
    name: 'a body not UTF-8',
    ...recommend(bytes('{"history": [{"text": "caf', [0xe9], '"}]}')),
    status: 400,
    error: /^body: not valid UTF-8$/,
  },
  { name: 'an empty body', ...recommend(''), status: 400, error: /^body: empty, expected a JSON object$/ },
  { name: 'a body cut short', ...recommend('{"history": ['), status: 400, error: /^body: not valid JSON$/ },
  {
    name: 'an unknown history item',
    ...recommend('{"history": [{"item_id": "zz"}]}'),
    status: 400,
    error: /field "history\.0": item_id "zz" is not an item/,
  },
  { name: 'k = 0', ...recommend('{"history": [{"item_id": "i1"}], "k": 0}'), status: 400, error: /field "k"/ },
  {
    name: 'a form instead of JSON',
    method: 'POST',
    path: '/v1/recommend',
    body: 'history=1',
    type: 'application/x-www-form-urlencoded',
    status: 415,
    error: /^content-type: expected application\/json$/,
  },
  {
    name: 'an unknown user',
    method: 'GET',
    path: '/v1/users/nobody/recommendations',
    status: 404,
    error: /user "nobody" is not a user/,
  },
  {
    name: 'an added item with a title that is not a string',
    method: 'POST',
    path: '/v1/items',
    body: '{"items": [{"item_id": "n1", "title": 7}]}',
    type: 'application/json',
    status: 400,
    error: /field "items\.0\.title"/,
  },
];

let server: Running;
before(async () => {
  const work = join(tempDir('r2end-bad-input-'), 'w');
  cpSync(await template('trained'), work, { recursive: true, verbatimSymlinks: true });
  server = await startServer(work);
});
after(async () => {
  await server?.stop();
});

for (const c of HTTP_CASES) {
  test(`HTTP ${c.method} ${c.path}: ${c.name}`, async () => {
    const res = await fetch(`${server.url}${c.path}`, {
      method: c.method,
      headers: c.type ? { 'content-type': c.type } : {},
      body: typeof c.body === 'string' || c.body === undefined ? c.body : new Uint8Array(c.body),
    });
    assert.equal(res.status, c.status);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['error'], 'the one error shape');
    assert.match(String(body.error), c.error);
  });
}

test('HTTP: a client gone mid-body is not logged, and the server logs nothing for any case above', async () => {
  await new Promise<void>((resolve) => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
      socket.write(
        'POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"h',
      );
      setTimeout(() => socket.destroy(), 200);
    });
    socket.on('close', () => resolve());
  });
  // The server notices the close a moment later.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  assert.doesNotMatch(server.output(), /^\s+at |error:/m);
});
