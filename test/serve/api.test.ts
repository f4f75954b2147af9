import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadDataset } from '../../src/data/dataset.js';
import { Workspace } from '../../src/data/workspace.js';
import { REASONING_PER_ITEM } from '../../src/r2end/recommender.js';
import { loadTeacherOutputs } from '../../src/teacher/outputs.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { getJson, postJson, startServer, trainedWorkspace, type Running } from './support.js';

const TOKEN = 'test-token-123';
let work: string;
let server: Running;

before(async () => {
  work = trainedWorkspace();
  server = await startServer(work, [], { R2END_TOKEN: TOKEN });
});
after(async () => {
  await server?.stop();
});

const HISTORY = [
  { item_id: 'i2', timestamp: 1_600_000_000 },
  { item_id: 'i3', timestamp: 1_600_086_400 },
  { text: 'a soft hair brush', timestamp: 1_600_172_800 },
];

function cliRecommend(args: string[]): Array<{ item_id: string; title: string; score: number }> {
  const r = runCli(['recommend', '--work', work, ...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).items;
}

function assertSameRanking(
  api: Array<{ item_id: string; score: number }>,
  cli: Array<{ item_id: string; score: number }>,
): void {
  assert.deepEqual(
    api.map((i) => i.item_id),
    cli.map((i) => i.item_id),
  );
  api.forEach((it, i) =>
    assert.ok(Math.abs(it.score - cli[i].score) < 1e-4, `${it.item_id}: ${it.score} vs ${cli[i].score}`),
  );
}

test('health, OpenAPI and the 127.0.0.1 default', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const h = await getJson(`${server.url}/healthz`);
  const created = JSON.parse(readFileSync(join(work, 'models', 'r2end', 'training.json'), 'utf8')).created;
  assert.deepEqual(h, { status: 200, body: { status: 'ok', model: 'r2end', version: `v1 (${created})`, items: 8 } });
  const doc = (await getJson(`${server.url}/openapi.json`)).body;
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/v1/recommend'].post.requestBody.content['application/json'].schema.properties.history);
  assert.ok(doc.paths['/v1/items'].post.security);
});

test('POST /v1/recommend ranks as `r2end recommend` does for the same history', async () => {
  const file = join(tempDir(), 'history.jsonl');
  writeFileSync(file, HISTORY.map((e) => JSON.stringify(e)).join('\n'));
  const r = await postJson(`${server.url}/v1/recommend`, { history: HISTORY, k: 5 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.items.length, 5);
  assertSameRanking(r.body.items, cliRecommend(['--history', file, '-k', '5']));
  const seen = await postJson(`${server.url}/v1/recommend`, { history: HISTORY, k: 8, exclude_seen: true });
  assert.equal(seen.body.items.length, 6);
  assert.ok(seen.body.items.every((i: { item_id: string }) => i.item_id !== 'i2' && i.item_id !== 'i3'));
});

test('GET /v1/users/:id/recommendations matches `r2end recommend --user`, with explanations', async () => {
  const r = await getJson(`${server.url}/v1/users/u3/recommendations?k=4&explain=true`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assertSameRanking(r.body.items, cliRecommend(['--user', 'u3', '-k', '4']));
  const ws = Workspace.open(work);
  const ds = loadDataset(ws);
  const reasoning = loadTeacherOutputs(ws, {}, ds).reasoning;
  ws.close();
  // Each item: the nearest training users' reasoning texts (the fixture has more than enough), nearest first.
  for (const it of r.body.items) {
    const why: Array<{ user_id: string; text: string; similarity: number }> = it.explanations;
    assert.equal(why.length, REASONING_PER_ITEM, it.item_id);
    assert.equal(new Set(why.map((x) => x.user_id)).size, why.length, 'distinct users');
    why.forEach((x, j) => {
      assert.equal(x.text, reasoning.get(ds.userIndex.get(x.user_id)!), `the reasoning text of ${x.user_id}`);
      assert.ok(Math.abs(x.similarity) <= 1.0001, `a cosine: ${x.similarity}`);
      if (j > 0) assert.ok(why[j - 1].similarity >= x.similarity, 'nearest first');
    });
  }
  assert.equal((await getJson(`${server.url}/v1/users/nobody/recommendations`)).status, 404);
});

test('bad input: 400 naming the field; unknown items reported; limits on k, history and body', async () => {
  const url = `${server.url}/v1/recommend`;
  const cases: Array<[unknown, RegExp]> = [
    [{ history: HISTORY, k: 101 }, /field "k"/],
    [{ history: HISTORY, k: 'ten' }, /field "k"/],
    [{ history: [] }, /field "history"/],
    [{ history: Array.from({ length: 201 }, () => ({ text: 'x' })) }, /field "history"/],
    [{ history: [{ item_id: 'i1' }, { item_id: 'no-such-item' }] }, /history\.1.*no-such-item/],
    [{ history: [{ item_id: 'i1', text: 'both' }] }, /exactly one of item_id and text/],
    [{ history: [{ text: 'x', timestamp: 'yesterday' }] }, /field "history\.0\.timestamp"/],
    [{ history: HISTORY, extra: 1 }, /extra/],
    [{ history: HISTORY, explain: 'yes' }, /field "explain"/],
  ];
  for (const [body, message] of cases) {
    const r = await postJson(url, body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 100));
    assert.match(r.body.error, message);
  }
  const big = await postJson(url, { history: [{ text: 'x'.repeat(2 << 20) }] });
  assert.equal(big.status, 413);
  assert.match(big.body.error, /^body: larger than the limit/);
  // Without a content-length (chunked), the limit holds as the body arrives.
  const chunk = new TextEncoder().encode('x'.repeat(1 << 16));
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"history":[{"text":"'));
      for (let i = 0; i < 20; i++) c.enqueue(chunk);
      c.enqueue(new TextEncoder().encode('"}]}'));
      c.close();
    },
  });
  const chunked = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(chunked.status, 413);
  const broken = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"history": [',
  });
  assert.equal(broken.status, 400);
  assert.match(((await broken.json()) as { error: string }).error, /^body: not valid JSON/);
  const q = await getJson(`${server.url}/v1/users/u3/recommendations?k=0`);
  assert.equal(q.status, 400);
  assert.match(q.body.error, /query: field "k"/);
});

test('a client gone mid-body gets no logged error, and the server keeps serving', async () => {
  const before = server.output();
  await new Promise<void>((resolve) => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
      socket.write(
        'POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"history":',
      );
      setTimeout(() => socket.destroy(), 200);
    });
    socket.on('close', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
  assert.equal(server.output(), before, 'nothing on stderr (no "Error: aborted" stack)');
});

test('a poisoning key and a bad %-escape: 400s naming them, in the shape of every other 400', async () => {
  const proto = await fetch(`${server.url}/v1/recommend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"__proto__": {"k": 1}, "history": [{"item_id": "i1"}]}',
  });
  assert.equal(proto.status, 400);
  assert.deepEqual(await proto.json(), { error: 'body: key "__proto__" is not allowed' });
  for (const path of ['/v1/users/%ff/recommendations', '/%ff']) {
    const bad = await getJson(`${server.url}${path}`);
    assert.equal(bad.status, 400, path);
    assert.deepEqual(Object.keys(bad.body), ['error']);
    assert.match(bad.body.error, /^path: not a valid URL/);
  }
});

test('search, popularity baseline, model card, report and page', async () => {
  const s = await getJson(`${server.url}/v1/items?q=item 3`);
  assert.deepEqual(s.body.items, [{ item_id: 'i3', title: 'Item 3', added: false }]);
  const p = await getJson(`${server.url}/v1/popular?k=3`);
  assert.equal(p.body.items.length, 3);
  assert.ok(p.body.items[0].score >= p.body.items[2].score);
  const m = await getJson(`${server.url}/v1/model`);
  assert.equal(m.body.about.model, 'R2END');
  assert.match(m.body.card, /template \(not an LLM\)/);
  for (const path of ['/', '/web/app.js', '/vendor/preact.mjs', '/vendor/hooks.mjs', '/vendor/htm.mjs', '/report']) {
    assert.equal((await fetch(`${server.url}${path}`)).status, 200, path);
  }
});

test('an added item is recommendable in the next request, needs the token, and persists across restarts', async () => {
  const item = { item_id: 'new-1', title: 'Item 3 deluxe edition', categories: [['Beauty', 'Hair']], brand: 'Acme' };
  const denied = await postJson(`${server.url}/v1/items`, { items: [item] });
  assert.equal(denied.status, 401);
  assert.match(denied.body.error, /Bearer/);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const bad = await postJson(`${server.url}/v1/items`, { items: [{ item_id: 'x', title: 7 }] }, auth);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /field "items\.0\.title"/);
  const added = await postJson(`${server.url}/v1/items`, { items: [item] }, auth);
  assert.deepEqual(added.body, { added: 1, updated: 0, index_size: 9 });
  // Its own text as the history: the new item must rank first.
  const r = await postJson(`${server.url}/v1/recommend`, {
    history: [{ text: 'Item 3 deluxe edition (Category: Beauty > Hair; Brand: Acme)' }],
    k: 9,
  });
  assert.equal(r.body.items.length, 9);
  assert.ok(r.body.items.some((i: { item_id: string }) => i.item_id === 'new-1'));
  // Known at once as a history item too.
  assert.equal((await postJson(`${server.url}/v1/recommend`, { history: [{ item_id: 'new-1' }] })).status, 200);
  const updated = await postJson(
    `${server.url}/v1/items`,
    { items: [{ ...item, title: 'Item 3 deluxe, renamed' }] },
    auth,
  );
  assert.deepEqual(updated.body, { added: 0, updated: 1, index_size: 9 });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /r2end_index_items 9/);
  assert.match(metrics, /r2end_added_items 1/);
  assert.match(metrics, /r2end_http_requests_total\{method="POST",route="\/v1\/recommend",status="200"\} \d+/);
  assert.match(metrics, /r2end_encoder_seconds_count \d+/);

  const again = await startServer(work, ['--model', 'r2end']);
  try {
    const s = await getJson(`${again.url}/v1/items?q=renamed`);
    assert.deepEqual(s.body.items, [{ item_id: 'new-1', title: 'Item 3 deluxe, renamed', added: true }]);
    assert.equal(
      (await postJson(`${again.url}/v1/items`, { items: [item] })).status,
      200,
      'no token configured: writes are open',
    );
    // An item without a title is added too (text models read its other fields); its title is empty.
    const untitled = { item_id: 'untitled-1', categories: [['Beauty', 'Hair']], brand: 'Acme' };
    assert.equal((await postJson(`${again.url}/v1/items`, { items: [untitled] })).status, 200);
    assert.deepEqual((await getJson(`${again.url}/v1/items?q=untitled-1`)).body.items, [
      { item_id: 'untitled-1', title: '', added: true },
    ]);
  } finally {
    await again.stop();
  }
});

/** The value of one exposition line such as `name{label="v"}`, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('GET /metrics counts and times requests by route, and carries the default process metrics', async () => {
  // A server of its own, so the other tests' requests are not in its counts.
  const fresh = await startServer(work);
  try {
    const n = 5;
    for (let i = 0; i < n; i++) {
      assert.equal((await postJson(`${fresh.url}/v1/recommend`, { history: HISTORY, k: 3 })).status, 200);
    }
    const res = await fetch(`${fresh.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    assert.equal(sample(text, 'r2end_http_requests_total{method="POST",route="/v1/recommend",status="200"}'), n);
    assert.equal(sample(text, 'r2end_http_request_duration_seconds_count{route="/v1/recommend"}'), n);
    assert.equal(sample(text, 'r2end_http_request_duration_seconds_bucket{le="+Inf",route="/v1/recommend"}'), n);
    // The same history each time: encoded once, then served from the cache.
    assert.equal(sample(text, 'r2end_history_cache_total{result="miss"}'), 1);
    assert.equal(sample(text, 'r2end_history_cache_total{result="hit"}'), n - 1);
    assert.equal(sample(text, 'r2end_encoder_seconds_count'), 1);
    assert.equal(sample(text, 'r2end_batch_size_sum'), 1);
    assert.equal(sample(text, 'r2end_index_items'), (await getJson(`${fresh.url}/healthz`)).body.items);
    assert.ok(sample(text, 'process_cpu_user_seconds_total')! > 0);
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 0);
    // A lag is never negative; what can go wrong is the series missing or not a number.
    assert.ok(Number.isFinite(sample(text, 'nodejs_eventloop_lag_seconds')), 'event-loop lag reported');
    assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  } finally {
    await fresh.stop();
  }
});

test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
  // A long batching window keeps the requests in flight while the signal arrives.
  const extra = await startServer(work, ['--batch-window', '1000']);
  const inflight = Array.from({ length: 8 }, () => postJson(`${extra.url}/v1/recommend`, { history: HISTORY, k: 3 }));
  await new Promise((r) => setTimeout(r, 400));
  const code = await extra.stop();
  const results = await Promise.all(inflight);
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(code, 0);
  assert.match(extra.output(), /SIGTERM, finishing in-flight requests/);
});
