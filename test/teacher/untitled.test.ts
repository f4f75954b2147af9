import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepare } from '../../src/data/prepare.js';
import { Workspace } from '../../src/data/workspace.js';
import { promptSettings } from '../../src/teacher/config.js';
import { descriptionJob, reasoningJob } from '../../src/teacher/prompts.js';
import { TemplateTeacher } from '../../src/teacher/template-teacher.js';
import { tempDir, writeDir } from '../support/fixtures.js';
import { teachConfig, viewOf } from '../support/teacher.js';

/** A catalogue like Amazon Sports in its P5 release: no titles; one item has no text at all. */
async function untitledCatalogue(): Promise<Workspace> {
  const rows = ['user_id,item_id,timestamp'];
  const order = ['g1', 'g2', 'x0', 'g3', 'g1'];
  for (let u = 0; u < 4; u++)
    order.forEach((_, p) => rows.push(`u${u},${order[(p + u) % order.length]},${1_600_000_000 + p * 86_400}`));
  const data = writeDir({
    'interactions.csv': rows.join('\n'),
    'items.jsonl': [
      '{"item_id": "g1", "categories": [["Sports", "Golf", "Clubs"]], "brand": "Acme"}',
      '{"item_id": "g2", "title": null, "categories": [["Sports", "Golf", "Balls"]], "brand": "Acme"}',
      '{"item_id": "g3", "title": "", "categories": [["Sports", "Golf", "Bags"]], "brand": null}',
      '{"item_id": "x0"}',
    ].join('\n'),
  });
  const ws = Workspace.open(tempDir(), { create: true });
  const report = await prepare(ws, { data, format: 'plain', kcore: 1, missingMeta: 'error' });
  assert.equal(report.kept.untitledItems, 4);
  assert.equal(report.kept.textlessItems, 1);
  return ws;
}

test('prompts and the template teacher name an item without a title by its id, never as undefined or an empty line', async () => {
  const ws = await untitledCatalogue();
  const view = viewOf(ws);
  const s = promptSettings(teachConfig({ backend: 'template', model: 'template' }), view);
  const teacher = new TemplateTeacher(view);
  const texts: string[] = [];
  for (let u = 0; u < view.ds.userIds.length; u++) texts.push(reasoningJob(view, u, s)!.prompt, teacher.reasoning(u));
  for (let i = 0; i < view.ds.items.length; i++) texts.push(descriptionJob(view, i, s).prompt, teacher.description(i));
  // No "undefined", no empty name in quotes, no line or field left empty.
  for (const text of texts) assert.doesNotMatch(text, /undefined|null|""|^\d{4}-\d{2}-\d{2}: *$|\*\*: *$|^- *$/m, text);
  const u1 = view.ds.userIndex.get('u1')!;
  assert.match(
    reasoningJob(view, u1, s)!.prompt,
    /### User’s Purchase History:\n2020-09-13: item g2 \(Category: Sports > Golf > Balls; Brand: Acme\)\n2020-09-14: item x0\n\n### Target Item:\n2020-09-15: item g3 \(Category: Sports > Golf > Bags\)\n/,
  );
  assert.equal(
    teacher.reasoning(u1),
    'Stays in Golf: 1 past purchase there, latest "item g2"; the target adds Bags. It follows "item x0", bought 1 day before: uncategorised to Bags. Its other buyers bought uncategorised just before it, including "item x0", which the user also bought. Buys about every 1 day.',
  );
  const x0 = view.ds.itemIndex.get('x0')!;
  assert.match(
    descriptionJob(view, x0, s).prompt,
    /Target Item Title\*\*: Not available\n.*\n.*\n.*\n\n### Items Its Buyers Purchased Just Before It:\n- item g2 \(Category: Sports > Golf > Balls; Brand: Acme\) \(bought just before it by 2 users\)\n/,
  );
  assert.equal(
    teacher.description(x0),
    'Users who prefer items like this would find this item suitable. Its buyers bought "item g2" just before it. Brands they bought before: Acme (2). Bought 3 times in the training data.',
  );
  ws.close();
});
