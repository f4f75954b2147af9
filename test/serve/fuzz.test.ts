import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { z } from 'zod';
import { Random } from '../../src/engine/random.js';
import { addItemsRequestSchema, recommendRequestSchema } from '../../src/serve/schemas.js';
import { getJson, startServer, trainedWorkspace, type Running } from './support.js';

let server: Running;

before(async () => {
  server = await startServer(trainedWorkspace());
});
after(async () => {
  await server?.stop();
});

interface Hostile {
  method: string;
  path: string;
  body?: string | Blob;
  type?: string;
}

const rng = new Random(7);
const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)];

/** Values of every JSON type, some huge or deep or shaped like attacks. */
function junk(depth = 0): unknown {
  const simple: Array<() => unknown> = [
    () => null,
    () => true,
    () => pick([0, -1, -0, 1e308, -1e308, 2 ** 53 + 1, 1.5, 1e-320, 4294967296]),
    () =>
      pick([
        '',
        ' ',
        'x'.repeat(20_000),
        '\u0000',
        '\ud800',
        '<script>alert(1)</script>',
        "' OR 1=1 --",
        '../../etc/passwd',
        '%00',
        '💥'.repeat(100),
      ]),
  ];
  const nested: Array<() => unknown> = [
    () => Array.from({ length: rng.int(4) }, () => junk(depth + 1)),
    () =>
      Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [
          pick(['history', 'k', 'text', 'item_id', 'timestamp', '__proto__', 'constructor', 'prototype', 'items']),
          junk(depth + 1),
        ]),
      ),
  ];
  return depth > 3 || rng.next() < 0.5 ? pick(simple)() : pick(nested)();
}

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);
const VALID_ENTRY = { item_id: 'i1', timestamp: 1_600_000_000 };

/** Requests each of which must be refused with a 4xx. */
function hostileRequests(): Hostile[] {
  const out: Hostile[] = [];
  const json = (method: string, path: string, body: unknown): Hostile => ({
    method,
    path,
    body: JSON.stringify(body),
    type: 'application/json',
  });
  // Random values as the whole body, and as each field of an otherwise valid request.
  for (let i = 0; i < 300; i++) out.push(json('POST', '/v1/recommend', junk()));
  // A value may happen to be valid for its field (true for `explain`): such bodies are skipped.
  const refused = (schema: z.ZodType, body: unknown) => {
    const r = schema.safeParse(body);
    return !r.success || JSON.stringify(body).includes('missing-');
  };
  while (out.length < 550) {
    const body: Record<string, unknown> = { history: [VALID_ENTRY], k: 5 };
    const field = pick([
      'history',
      'k',
      'exclude_seen',
      'explain',
      'entry.item_id',
      'entry.text',
      'entry.timestamp',
      'entry.extra',
      'extra',
    ]);
    let value = junk();
    if (field === 'entry.item_id' && typeof value === 'string') value = `missing-${value}`;
    if (field.startsWith('entry.')) body.history = [{ ...VALID_ENTRY, [field.slice(6)]: value }];
    else body[field] = value;
    if (refused(recommendRequestSchema, body)) out.push(json('POST', '/v1/recommend', body));
  }
  while (out.length < 750) {
    const item: Record<string, unknown> = { item_id: `fz-${out.length}`, title: 'A title' };
    item[pick(['item_id', 'title', 'categories', 'brand', 'description', 'extra'])] = junk();
    const body = rng.next() < 0.9 ? { items: [item] } : junk();
    if (refused(addItemsRequestSchema, body)) out.push(json('POST', '/v1/items', body));
  }
  // Deep nesting, broken JSON, invalid UTF-8, oversize bodies, wrong content types.
  for (const n of [100, 1000, 10_000, 100_000]) {
    out.push({
      method: 'POST',
      path: '/v1/recommend',
      body: `{"history":${deep(n, '[', ']')}}`,
      type: 'application/json',
    });
    out.push({
      method: 'POST',
      path: '/v1/recommend',
      body: `{"history":[{"text":${deep(n, '{"a":', '}')}}]}`,
      type: 'application/json',
    });
    out.push({ method: 'POST', path: '/v1/recommend', body: '['.repeat(n), type: 'application/json' });
  }
  for (let i = 0; i < 100; i++) {
    const bad = Buffer.from(pick(['ff', 'c0af', 'ed a0 80'.replace(/ /g, ''), 'f8888080', 'e282', 'fe', '80']), 'hex');
    out.push({
      method: 'POST',
      path: '/v1/recommend',
      body: new Blob([Buffer.from('{"history":[{"text":"abc'), bad, Buffer.from(`${i}"}]}`)]),
      type: 'application/json',
    });
  }
  for (let i = 0; i < 50; i++) {
    const broken = JSON.stringify({ history: [VALID_ENTRY], k: 5 });
    out.push({
      method: 'POST',
      path: '/v1/recommend',
      body: broken.slice(0, rng.int(broken.length - 1)),
      type: 'application/json',
    });
  }
  for (const size of [(1 << 20) + 1, 3 << 20])
    out.push({
      method: 'POST',
      path: pick(['/v1/recommend', '/v1/items']),
      body: `{"history":[{"text":"${'a'.repeat(size)}"}]}`,
      type: 'application/json',
    });
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'image/png',
  ]) {
    for (let i = 0; i < 6; i++)
      out.push({
        method: 'POST',
        path: pick(['/v1/recommend', '/v1/items']),
        body: pick(['history=1', '<a/>', JSON.stringify({ history: 'x' }), '\x00\x01']),
        type,
      });
  }
  // Hostile query strings, paths and methods.
  const queries = [
    'k=0',
    'k=-1',
    'k=1e999',
    'k=abc',
    'k=101',
    'k[]=1',
    'k=1&k=2',
    'explain=maybe',
    'exclude_seen=2',
    'extra=1',
    'k=%ff',
    'k=0x10',
    'k=1.5',
  ];
  for (let i = 0; i < 120; i++) {
    const r = rng.int(4);
    if (r === 0) out.push({ method: 'GET', path: `/v1/users/u1/recommendations?${pick(queries)}` });
    else if (r === 1)
      out.push({
        method: 'GET',
        path: `/v1/users/${pick(['nobody', 'x'.repeat(300), '%00', '..%2F..%2Fetc', '%E2%82'])}/recommendations`,
      });
    else if (r === 2)
      out.push({
        method: 'GET',
        path: `/v1/${pick(['items', 'popular'])}?${pick(['limit=0', 'limit=51', 'k=0', 'q=' + 'x'.repeat(300), 'limit=-5', 'k=1e9', 'q=a&q=b', 'other=1'])}`,
      });
    else
      out.push({
        method: pick(['PUT', 'DELETE', 'PATCH']),
        path: pick(['/v1/recommend', '/v1/items', '/healthz', '/nope', '/%']),
      });
  }
  return out;
}

async function send(base: string, r: Hostile): Promise<number | string> {
  const headers: Record<string, string> = r.type ? { 'content-type': r.type } : {};
  try {
    const res = await fetch(`${base}${r.path}`, { method: r.method, headers, body: r.body });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    return `${(error as Error).message}: ${String((error as Error).cause)}`;
  }
}

/** A raw request, for what fetch refuses to send (malformed request lines, bad headers). */
function raw(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
    socket.on('data', (c) => (data += c.toString()));
    // A server that refuses a request may close before reading all of it (a reset): the
    // answer it sent first still counts; a reset with no answer does not.
    socket.on('error', (error) => (status() ? resolve(status()) : reject(error)));
    socket.on('close', () => resolve(status()));
  });
}

test('1,000+ malformed or hostile requests: every one a 4xx, and the server keeps serving', async () => {
  const requests = hostileRequests();
  assert.ok(requests.length >= 1000, `${requests.length} requests`);
  const failures: string[] = [];
  for (let i = 0; i < requests.length; i += 16) {
    const chunk = requests.slice(i, i + 16);
    const statuses = await Promise.all(chunk.map((r) => send(server.url, r)));
    statuses.forEach((s, j) => {
      if (typeof s !== 'number' || s < 400 || s >= 500)
        failures.push(`${s} ${chunk[j].method} ${chunk[j].path} ${String(chunk[j].body ?? '').slice(0, 120)}`);
    });
  }
  const port = Number(new URL(server.url).port);
  const rawRequests = [
    'GARBAGE\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    // Over the 16 KiB header limit, yet small enough to be read whole before the refusal.
    `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  ];
  for (const text of rawRequests) {
    const s = await raw(port, text);
    if (s < 400 || s >= 500) failures.push(`${s} raw ${JSON.stringify(text.slice(0, 80))}`);
  }
  assert.deepEqual(failures, []);
  const health = await getJson(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.doesNotMatch(metrics, /status="5\d\d"/);
  assert.doesNotMatch(server.output(), /error:/);
});
