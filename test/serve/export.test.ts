// `r2end recommend --all`: every user's line equals what `recommend --user` answers for that user
// (every kind of model, with and without --exclude-seen, JSON lines and CSV; exactly in batches of
// one user, to rounding in larger batches), and an export killed part-way resumes into the file an
// uninterrupted run writes, which appears only when complete.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { everyKindWorkspace } from './support.js';
import { splitCsvLine } from '../../src/data/formats/table.js';
import type { Workspace } from '../../src/data/workspace.js';
import { CSV_HEADER, exportRecommendations, formatUser } from '../../src/serve/export.js';
import { Metrics } from '../../src/serve/metrics.js';
import { RecommendationService, type Recommended } from '../../src/serve/service.js';
import { CLI, runCli } from '../support/cli.js';
import { preparedWorkspace, sequentialDataset, tempDir } from '../support/fixtures.js';

/**
 * How far a score in a batch of users may be from the same user's score alone. Models computed in
 * JavaScript rank a user identically alone and in a batch; engine models (R2END, SASRec, hybrids
 * with them) sum a batch's matrix products in another order than one history's, so their scores
 * agree to float32 rounding (the hybrid's standardisation scales it up).
 */
const TOLERANCE: Record<string, number> = {
  pop: 0,
  itemknn: 0,
  repeat: 0,
  r2end: 1e-6,
  'sasrec-ce': 1e-5,
  hybrid: 1e-5,
};
const KINDS = Object.keys(TOLERANCE);
/** Fewer than the 9 items, so every line is a real selection. */
const K = 5;

let ws: Workspace;
let ds: Dataset;

before(async () => {
  // float32: in bfloat16 a batch and one history differ by bfloat16's rounding, not float32's.
  ({ ws, ds } = await everyKindWorkspace('float32'));
});
after(() => ws.close());

type Line = { user_id: string; items: Array<{ item_id: string; score: number }> };

function readJsonl(file: string): Line[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'the last line is complete');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

/** A CSV export as JSON lines would hold it (users without a row are absent). */
function readCsv(file: string): Line[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(`${header}\n`, CSV_HEADER);
  const lines: Line[] = [];
  for (const row of rows) {
    const [user_id, rank, item_id, score] = splitCsvLine(row);
    if (lines.at(-1)?.user_id !== user_id) lines.push({ user_id, items: [] });
    const items = lines.at(-1)!.items;
    assert.equal(Number(rank), items.length + 1, `${user_id}: ranks count from 1`);
    items.push({ item_id, score: Number(score) });
  }
  return lines;
}

/** Same items in the same order, scores within `tolerance`. */
function assertSameRanking(
  got: Line['items'],
  expected: ReadonlyArray<Pick<Recommended, 'item_id' | 'score'>>,
  tolerance: number,
  what: string,
): void {
  assert.deepEqual(
    got.map((r) => r.item_id),
    expected.map((r) => r.item_id),
    `${what}: items`,
  );
  got.forEach((r, i) =>
    assert.ok(
      Math.abs(r.score - expected[i].score) <= tolerance,
      `${what}: score ${i} ${r.score} vs ${expected[i].score}`,
    ),
  );
}

function exportCli(args: string[]): string {
  const r = runCli(['recommend', '--work', ws.dir, '--all', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

for (const kind of KINDS) {
  test(`${kind}: every user's exported line is what recommend --user gives that user, exactly in batches of one`, async () => {
    const dir = tempDir();
    const [batched, single] = [join(dir, 'batched.jsonl'), join(dir, 'single.jsonl')];
    const said = exportCli(['--model', kind, '-k', String(K), '--out', batched]);
    assert.match(said, new RegExp(`top-${K} of ${ds.userIds.length} users by ${kind} .* -> ${batched} \\(jsonl, `));
    exportCli(['--model', kind, '-k', String(K), '--out', single, '--batch-size', '1']);
    const [lines, ones] = [readJsonl(batched), readJsonl(single)];
    for (const l of [lines, ones])
      assert.deepEqual(
        l.map((line) => line.user_id),
        ds.userIds,
        'one line per user, in dataset order',
      );
    const service = await RecommendationService.open(ws, new Metrics(), { model: kind, windowMs: 0 });
    for (const [u, user] of ds.userIds.entries()) {
      const alone = await service.recommendUser(user, K, false, false);
      assert.equal(alone.length, K);
      assertSameRanking(ones[u].items, alone, 0, `${kind} ${user}, batch of one`);
      assertSameRanking(lines[u].items, alone, TOLERANCE[kind], `${kind} ${user}`);
    }
    for (const u of [0, ds.userIds.length - 1]) {
      const user = ds.userIds[u];
      const r = runCli(['recommend', '--work', ws.dir, '--model', kind, '--user', user, '-k', String(K), '--json']);
      assert.equal(r.status, 0, r.stderr);
      const cli = (JSON.parse(r.stdout) as { items: Recommended[] }).items;
      assertSameRanking(ones[u].items, cli, 0, `${kind} ${user} (CLI), batch of one`);
      assertSameRanking(lines[u].items, cli, TOLERANCE[kind], `${kind} ${user} (CLI)`);
    }
  });
}

for (const kind of ['itemknn', 'r2end', 'hybrid']) {
  test(`${kind}: --exclude-seen as CSV leaves out each user's history, as recommend --user --exclude-seen does`, async () => {
    const out = join(tempDir(), 'recs.txt');
    exportCli(['--model', kind, '-k', String(K), '--exclude-seen', '--format', 'csv', '--out', out]);
    const lines = readCsv(out);
    const service = await RecommendationService.open(ws, new Metrics(), { model: kind, windowMs: 0 });
    for (const line of lines) {
      const u = ds.userIndex.get(line.user_id)!;
      const seen = new Set(Array.from(ds.sequences[u], (i) => ds.items[i].id));
      assert.ok(line.items.length > 0 && line.items.length <= K, `${line.user_id}: ${line.items.length} items`);
      for (const r of line.items) assert.ok(!seen.has(r.item_id), `${line.user_id}: ${r.item_id} was in the history`);
      assertSameRanking(
        line.items,
        await service.recommendUser(line.user_id, K, true, false),
        TOLERANCE[kind],
        `${kind} ${line.user_id}`,
      );
    }
    assert.deepEqual(
      lines.map((l) => l.user_id),
      ds.userIds,
      'every user has rows, in dataset order',
    );
  });
}

test('CSV and JSON lines of one export hold the same rankings, scores written alike', () => {
  const dir = tempDir();
  exportCli(['--model', 'r2end', '--out', join(dir, 'r.jsonl')]);
  exportCli(['--model', 'r2end', '--out', join(dir, 'r.csv')]);
  assert.deepEqual(readCsv(join(dir, 'r.csv')), readJsonl(join(dir, 'r.jsonl')));
});

test('CSV fields with commas, quotes or line breaks are quoted', () => {
  const items = [
    { item_id: 'plain', title: '', score: 0.5 },
    { item_id: 'a "b"\nc', title: '', score: -0.25 },
  ];
  const text = formatUser('csv', 'u,1', items);
  assert.equal(text, '"u,1",1,plain,0.5\n"u,1",2,"a ""b""\nc",-0.25\n');
  assert.deepEqual(splitCsvLine(text.split('\n')[0]), ['u,1', '1', 'plain', '0.5']);
  assert.equal(
    formatUser('jsonl', 'u,1', items),
    '{"user_id":"u,1","items":[{"item_id":"plain","score":0.5},{"item_id":"a \\"b\\"\\nc","score":-0.25}]}\n',
  );
});

/**
 * Runs an export that fails after `chunks` chunks (as a kill would stop it: the staging file and
 * its record stay), through the same service the rerun uses.
 */
async function interrupted(service: RecommendationService, out: string, k: number, chunks: number): Promise<void> {
  const real = service.recommendUsers.bind(service);
  let calls = 0;
  service.recommendUsers = (users, kk, exclude) => {
    if (calls++ === chunks) return Promise.reject(new Error('interrupted'));
    return real(users, kk, exclude);
  };
  try {
    await assert.rejects(
      exportRecommendations(service, { out, format: 'jsonl', k, excludeSeen: false, batchSize: 2, silent: true }),
      /interrupted/,
    );
  } finally {
    service.recommendUsers = real;
  }
}

test('an interrupted R2END export resumes after its last recorded chunk into the uninterrupted file', async () => {
  const dir = tempDir();
  const service = await RecommendationService.open(ws, new Metrics(), { model: 'r2end', windowMs: 0, cacheSize: 0 });
  const options = { format: 'jsonl', k: 3, excludeSeen: false, batchSize: 2, silent: true } as const;
  const whole = join(dir, 'whole.jsonl');
  await exportRecommendations(service, { out: whole, ...options });

  const out = join(dir, 'resumed.jsonl');
  await interrupted(service, out, 3, 3);
  assert.ok(!existsSync(out), 'no file before the export completes');
  const record = JSON.parse(readFileSync(`${out}.partial.json`, 'utf8'));
  assert.equal(record.users, 6, 'three chunks of two users recorded');
  // A chunk written but not recorded (killed between the two) is dropped on resume.
  appendFileSync(`${out}.partial`, '{"user_id": "half a line');
  const notes: string[] = [];
  const done = await exportRecommendations(service, { out, ...options, log: (l) => notes.push(l) });
  assert.equal(done.resumedFrom, 6);
  assert.deepEqual(notes, [`r2end recommend: resuming ${out}.partial: 6 of ${ds.userIds.length} users written`]);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(whole, 'utf8'));
  assert.ok(!existsSync(`${out}.partial`) && !existsSync(`${out}.partial.json`), 'the staging files are gone');
});

test('an interrupted export with other settings starts again and says why', async () => {
  const dir = tempDir();
  const service = await RecommendationService.open(ws, new Metrics(), { model: 'itemknn', windowMs: 0 });
  const out = join(dir, 'r.jsonl');
  await interrupted(service, out, 3, 2);
  const notes: string[] = [];
  const done = await exportRecommendations(service, {
    out,
    format: 'jsonl',
    k: 4,
    excludeSeen: false,
    silent: true,
    log: (l) => notes.push(l),
  });
  assert.equal(done.resumedFrom, 0);
  assert.deepEqual(notes, [`r2end recommend: ${out}.partial: begun with other settings (-k); starting again`]);
  const lines = readJsonl(out);
  assert.equal(lines.length, ds.userIds.length);
  for (const line of lines)
    assertSameRanking(line.items, await service.recommendUser(line.user_id, 4, false, false), 0, line.user_id);
});

test('a staging record that is not usable starts the export again, saying why', async () => {
  const dir = tempDir();
  const service = await RecommendationService.open(ws, new Metrics(), { model: 'itemknn', windowMs: 0 });
  const options = { format: 'jsonl', k: 3, excludeSeen: false, batchSize: 2, silent: true } as const;
  const whole = join(dir, 'whole.jsonl');
  await exportRecommendations(service, { out: whole, ...options });
  const out = join(dir, 'r.jsonl');
  const cases: Array<[string, () => void, string]> = [
    ['not JSON', () => writeFileSync(`${out}.partial.json`, '{'), `its record ${out}.partial.json is unreadable`],
    [
      'null',
      () => writeFileSync(`${out}.partial.json`, 'null'),
      `its record ${out}.partial.json is not one this export wrote`,
    ],
    ['staging gone', () => rmSync(`${out}.partial`), 'missing (its record is there)'],
    ['staging cut short', () => truncateSync(`${out}.partial`, 10), 'shorter than its record says'],
  ];
  for (const [what, spoil, why] of cases) {
    await interrupted(service, out, 3, 2);
    spoil();
    const notes: string[] = [];
    const done = await exportRecommendations(service, { out, ...options, log: (l) => notes.push(l) });
    assert.equal(done.resumedFrom, 0, what);
    assert.deepEqual(notes, [`r2end recommend: ${out}.partial: ${why}; starting again`], what);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(whole, 'utf8'), what);
  }
});

test('a killed export leaves the old file as it was, and the next run resumes into an uninterrupted run’s file', async () => {
  // Enough users that the kill lands part-way: 3,000 users in chunks of 5, each chunk synced to disk.
  const big = await preparedWorkspace(sequentialDataset(3000, 40, 6));
  big.close();
  const dir = tempDir();
  const args = (out: string) => [
    'recommend',
    '--work',
    big.dir,
    '--model',
    'itemknn',
    '--all',
    '--out',
    out,
    '--batch-size',
    '5',
  ];
  const whole = join(dir, 'whole.csv');
  assert.equal(runCli(args(whole)).status, 0);

  const out = join(dir, 'recs.csv');
  writeFileSync(out, 'the previous export\n');
  const child = spawn(process.execPath, [CLI, ...args(out)], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const record = `${out}.partial.json`;
  const deadline = Date.now() + 60_000;
  let users = 0;
  while (users === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (existsSync(record)) users = (JSON.parse(readFileSync(record, 'utf8')) as { users: number }).users;
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'killed before it finished');
  assert.equal(readFileSync(out, 'utf8'), 'the previous export\n', 'the old file stays until the new one is complete');
  const stopped = (JSON.parse(readFileSync(record, 'utf8')) as { users: number }).users;
  assert.ok(stopped > 0 && stopped < 3000, `killed part-way (${stopped} users recorded)`);

  const r = runCli(args(out));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`resuming ${out}\\.partial: ${stopped} of 3000 users written`));
  assert.match(r.stdout, new RegExp(`resumed after ${stopped} users`));
  assert.equal(readFileSync(out, 'utf8'), readFileSync(whole, 'utf8'));
  assert.ok(!existsSync(`${out}.partial`) && !existsSync(record), 'the staging files are gone');
});
