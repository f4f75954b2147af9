// Online scoring equals offline scoring for every kind of recommender: for users of the dataset,
// the service's top-10 (in process and over HTTP) equals the top-10 of the scores the evaluator
// ranks, and `r2end recommend` prints what the service answers for the same history file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeRecommender } from '../../src/app/registry.js';
import { evalCase, type Dataset } from '../../src/data/dataset.js';
import { everyKindWorkspace } from './support.js';
import type { Workspace } from '../../src/data/workspace.js';
import { topRows } from '../../src/rank/online.js';
import { Metrics } from '../../src/serve/metrics.js';
import { buildServer } from '../../src/serve/server.js';
import { RecommendationService } from '../../src/serve/service.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';

const KINDS = ['pop', 'itemknn', 'repeat', 'r2end', 'sasrec-ce', 'hybrid'];
let ws: Workspace;
let ds: Dataset;

before(async () => {
  ({ ws, ds } = await everyKindWorkspace());
});
after(() => ws.close());

/** The test case of user u as a request: its history entries and the time of the held-out item. */
function request(u: number) {
  const c = evalCase(ds, u, 'test');
  const history = Array.from(c.history, (item, p) => ({ item_id: ds.items[item].id, timestamp: c.historyTimes[p] }));
  return { c, history, time: c.targetTime };
}

for (const kind of KINDS) {
  test(`${kind}: the service's top-10 equals the evaluator's scores, in process, over HTTP and from the CLI`, async () => {
    const offline = makeRecommender(kind, ws);
    await offline.fit(ds);
    const service = await RecommendationService.open(ws, new Metrics(), { model: kind, windowMs: 0 });
    const app = buildServer(ws, service, new Metrics(), {});
    try {
      for (const u of [0, 3, 7, 12]) {
        const { c, history, time } = request(u);
        const scores = await offline.score([{ items: c.history, times: c.historyTimes, time: c.targetTime }]);
        const expected = topRows(scores, 10);
        const online = await service.recommend(history, 10, false, false, time);
        assert.deepEqual(
          online.map((r) => r.item_id),
          expected.rows.map((r) => ds.items[r].id),
          `user ${u}: items`,
        );
        online.forEach((r, i) => assert.ok(Math.abs(r.score - expected.scores[i]) < 1e-5, `user ${u}: score ${i}`));
        const http = await app.inject({ method: 'POST', url: '/v1/recommend', payload: { history, k: 10, time } });
        assert.equal(http.statusCode, 200, http.body);
        assert.deepEqual(
          JSON.parse(http.body).items.map((r: { item_id: string }) => r.item_id),
          online.map((r) => r.item_id),
        );
        // The CLI verbalises a history file relative to its latest entry, as the service does without a time.
        const file = join(tempDir(), 'history.jsonl');
        writeFileSync(file, history.map((e) => JSON.stringify(e)).join('\n'));
        const cli = runCli(['recommend', '--work', ws.dir, '--model', kind, '--history', file, '--json']);
        assert.equal(cli.status, 0, cli.stderr);
        const untimed = await service.recommend(history, 10, false, false);
        assert.deepEqual(JSON.parse(cli.stdout).items, untimed);
      }
    } finally {
      await app.close();
    }
  });
}

test('an item added at run time is recommendable at once by content models, and neutral for ID parts', async () => {
  const service = await RecommendationService.open(ws, new Metrics(), { model: 'hybrid', windowMs: 0 });
  const { history, time } = request(0);
  const before = await service.recommend(history, ds.items.length, false, false, time);
  await service.addItems([
    { item_id: 'fresh', title: 'Brand new serum', categories: [['Beauty', 'Skin']], brand: 'Acme', description: null },
  ]);
  const after = await service.recommend(history, ds.items.length + 1, false, true, time);
  assert.equal(after.length, before.length + 1, 'the new item is ranked');
  const fresh = after.find((r) => r.item_id === 'fresh')!;
  const parts = Object.fromEntries(fresh.contributions!.map((p) => [p.part, p.score]));
  assert.equal(parts['sasrec-ce'], 0, 'an ID part gives a run-time item z = 0');
  assert.equal(parts.itemknn, 0, 'an ID part gives a run-time item z = 0');
  assert.notEqual(parts.r2end, 0, 'the text part scores it from its text');
  const top = after[0];
  assert.ok(top.contributions && top.contributions.length === 3, 'a hybrid explains each part');
  assert.ok(top.explanations && top.explanations.length > 0, 'the R2END part adds reasoning texts');
  const sum = top.contributions.reduce((a, p) => a + p.contribution, 0);
  assert.ok(Math.abs(sum - top.score) < 1e-4, 'the contributions add up to the hybrid score');
});
