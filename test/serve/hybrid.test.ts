// Serving a hybrid: each part can be asked alone for the same history (and answers as that part
// served by itself), and the model card comes as HTML too.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getJson, hybridWorkspace, postJson, startServer, type Running } from './support.js';

let work: string;
let server: Running;

before(async () => {
  work = hybridWorkspace();
  server = await startServer(work, ['--model', 'hybrid']);
});
after(async () => {
  await server?.stop();
});

const HISTORY = [
  { item_id: 'i2', timestamp: 1_600_000_000 },
  { item_id: 'i5', timestamp: 1_600_086_400 },
  { text: 'a soft hair brush', timestamp: 1_600_172_800 },
];

test('GET /v1/model lists the parts; a part asked alone answers as that part served by itself', async () => {
  const model = (await getJson(`${server.url}/v1/model`)).body;
  assert.deepEqual(
    model.parts.map((p: { name: string }) => p.name),
    ['r2end', 'itemknn'],
  );
  const weights = model.parts.map((p: { weight: number }) => p.weight);
  assert.ok(Math.abs(weights[0] + weights[1] - 1) < 1e-9, `weights sum to 1: ${weights}`);
  const hybrid = await postJson(`${server.url}/v1/recommend`, { history: HISTORY, k: 5, explain: true });
  assert.equal(hybrid.status, 200, JSON.stringify(hybrid.body));
  assert.equal(hybrid.body.items[0].contributions.length, 2);
  for (const part of ['r2end', 'itemknn']) {
    const alone = await startServer(work, ['--model', part]);
    try {
      assert.deepEqual((await getJson(`${alone.url}/v1/model`)).body.parts, [], `${part} alone has no parts`);
      for (const body of [
        { history: HISTORY, k: 5, explain: true },
        { history: HISTORY, k: 8, exclude_seen: true },
      ]) {
        const asked = await postJson(`${server.url}/v1/recommend`, { ...body, part });
        const served = await postJson(`${alone.url}/v1/recommend`, body);
        assert.equal(asked.status, 200, JSON.stringify(asked.body));
        assert.deepEqual(asked.body.items, served.body.items, `${part}: ${JSON.stringify(body)}`);
      }
      const user = await getJson(`${server.url}/v1/users/u3/recommendations?k=4&part=${part}`);
      const userAlone = await getJson(`${alone.url}/v1/users/u3/recommendations?k=4`);
      assert.deepEqual(user.body.items, userAlone.body.items, `${part}: user u3`);
      const unknown = await postJson(`${alone.url}/v1/recommend`, { history: HISTORY, part: 'r2end' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error, /field "part".*not a hybrid/);
    } finally {
      await alone.stop();
    }
  }
  const bad = await postJson(`${server.url}/v1/recommend`, { history: HISTORY, part: 'sasrec' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^field "part": "sasrec" is not a part of hybrid \(its parts: r2end, itemknn\)$/);
  const empty = await postJson(`${server.url}/v1/recommend`, { history: HISTORY, part: '' });
  assert.equal(empty.status, 400);
  assert.match(empty.body.error, /field "part"/);
});

test('GET /v1/model gives the card as HTML, raw HTML in it escaped; OpenAPI shows the new fields', async () => {
  const model = (await getJson(`${server.url}/v1/model`)).body;
  assert.match(model.card, /^# hybrid$/m);
  assert.match(model.card_html, /<h1>hybrid<\/h1>/);
  assert.match(model.card_html, /<table>[\s\S]*<td>r2end weight<\/td>/);
  // The card is read on each request: a MODEL.md beside the hybrid replaces the generated one.
  writeFileSync(
    join(work, 'models', 'hybrid', 'MODEL.md'),
    '# Card\n\n<script>alert(1)</script>\n\nText with <img src=x onerror="alert(2)"> inline.\n',
  );
  const html = (await getJson(`${server.url}/v1/model`)).body.card_html as string;
  assert.match(html, /<h1>Card<\/h1>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt;/);
  assert.doesNotMatch(html, /<script|<img/);

  const doc = (await getJson(`${server.url}/openapi.json`)).body;
  const request = doc.paths['/v1/recommend'].post.requestBody.content['application/json'].schema;
  assert.equal(request.properties.part.type, 'string');
  const query = doc.paths['/v1/users/{id}/recommendations'].get.parameters.map((p: { name: string }) => p.name);
  assert.ok(query.includes('part'));
  const card = doc.paths['/v1/model'].get.responses[200].content['application/json'].schema;
  assert.deepEqual(card.required, ['about', 'card', 'card_html', 'parts']);
});
