import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planJobs } from '../../src/teacher/config.js';
import { TemplateTeacher, TEMPLATE_MODEL } from '../../src/teacher/template-teacher.js';
import { MARKER, leakFixture, teachConfig, viewOf } from '../support/teacher.js';

/** Prompts and template texts of every kind, for every user and item of the fixture. */
async function allTexts(
  withReviews: boolean,
): Promise<Array<{ kind: string; subject: number; marker: boolean; prompt: string; text?: string }>> {
  const ws = await leakFixture();
  if (withReviews) {
    ws.db.exec(
      "UPDATE interactions SET review = CASE split WHEN 'train' THEN 'Lovely texture, review of item ' || item_idx ELSE 'REVIEWLEAK ' || item_idx END",
    );
  }
  const view = viewOf(ws);
  const markerItem = (i: number) => MARKER.test(view.ds.items[i].title);
  const out: Array<{ kind: string; subject: number; marker: boolean; prompt: string; text?: string }> = [];
  const teacher = new TemplateTeacher(view);
  for (const mode of ['oracle', 'unguided'] as const) {
    const plan = planJobs(view, teachConfig({ backend: 'template', model: TEMPLATE_MODEL, mode }));
    for (const job of [...plan.reasoning, ...plan.items]) {
      out.push({
        kind: job.kind,
        subject: job.subject,
        marker: job.kind === 'description' && markerItem(job.subject),
        prompt: job.prompt,
        text: job.kind === 'unguided' ? undefined : teacher.write(job),
      });
    }
  }
  ws.close();
  return out;
}

for (const withReviews of [false, true]) {
  test(`no validation or test interaction reaches any prompt or template text (${withReviews ? 'with' : 'without'} reviews)`, async () => {
    const texts = await allTexts(withReviews);
    assert.ok(texts.filter((t) => t.kind === 'reasoning').length === 10);
    assert.ok(texts.filter((t) => t.kind === 'unguided').length === 10);
    assert.ok(texts.filter((t) => t.marker).length === 20, 'every marker item still gets a description prompt');
    for (const t of texts) {
      if (t.marker) {
        // A marker item's own metadata is its description's subject; its buyers are all
        // validation/test buyers, so it must have no buyer context at all.
        assert.match(t.prompt, /None \(no earlier buyers/);
        assert.doesNotMatch(t.prompt, /REVIEWLEAK/);
        assert.match(t.text!, /No purchases in the training data/);
        continue;
      }
      assert.doesNotMatch(t.prompt, MARKER, `${t.kind} ${t.subject} prompt`);
      if (t.text !== undefined) assert.doesNotMatch(t.text, MARKER, `${t.kind} ${t.subject} text`);
    }
    if (withReviews)
      assert.ok(
        texts.some((t) => /Lovely texture/.test(t.prompt)),
        'training reviews are used',
      );
  });
}

test('the reasoning target is the last training item and the history precedes it', async () => {
  const ws = await leakFixture();
  const view = viewOf(ws);
  const [job] = planJobs(
    view,
    teachConfig({ backend: 'template', model: TEMPLATE_MODEL, what: 'reasoning' }),
  ).reasoning;
  const seq = view.ds.sequences[job.subject];
  const n = seq.length - 2;
  const target = view.ds.items[seq[n - 1]].title;
  const targetSection = job.prompt.split('### Target Item:')[1].split('###')[0];
  assert.match(targetSection, new RegExp(target));
  const historySection = job.prompt.split('### User’s Purchase History:')[1].split('###')[0];
  assert.doesNotMatch(historySection, new RegExp(`${target} `));
  ws.close();
});
