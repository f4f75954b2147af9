import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Workspace } from '../../src/data/workspace.js';
import { TIE_RULE, type EvalResult } from '../../src/eval/evaluate.js';
import { latestTestEvaluation, saveEvaluation } from '../../src/eval/results.js';
import { resolveConfig } from '../../src/r2end/config.js';
import { writeModelCard } from '../../src/r2end/model-card.js';
import type { TrainingRecord } from '../../src/r2end/record.js';
import { tempDir } from '../support/fixtures.js';

/** A record as `r2end train` writes it: one setting changed (negatives), one given at its default (seed). */
function cardRecord(): TrainingRecord {
  const config = resolveConfig([{ source: 'test', values: { seed: 42, projection: { negatives: 'all' } } }]);
  return {
    model: 'r2end-full',
    created: '2026-11-30T12:00:00.000Z',
    dataset: 'beauty_mini',
    teacher: {
      backend: 'template',
      model: 'template-v2',
      mode: 'oracle',
      label: 'template (not an LLM)',
      isLLM: false,
    },
    encoder: 'use-lite',
    precision: 'bfloat16',
    ablation: 'none',
    config: config as unknown as Record<string, unknown>,
    counts: { distilledUsers: 1024, alignmentUsers: 56, items: 1267 },
    curves: {
      distill: [{ step: 64, loss: 0.0012 }],
      projection: [
        { epoch: 1, loss: 4.1, seconds: 1.5, validNdcg10: 0.021 },
        { epoch: 2, loss: 3.8, seconds: 1.4, validNdcg10: 0.0305 },
        { epoch: 3, loss: 3.7, seconds: 1.4, validNdcg10: 0.0302 },
      ],
    },
    alignment: {
      users: 56,
      before: { l2: [0.7, 0.8], cos: [0.7, 0.74] },
      after: { l2: [0.5, 0.5], cos: [0.86, 0.87] },
    },
    seconds: { targets: 4.2, distill: 20.5, alignment: 0.4, items: 3.1, users: 5.6, project: 4.3, bundle: 0.2 },
  };
}

function cardEvaluation(over: Partial<EvalResult> = {}): EvalResult {
  return {
    recommender: 'r2end-full',
    dataset: 'beauty_mini',
    split: 'test',
    users: 1137,
    items: 1267,
    ties: TIE_RULE,
    exclude_seen: false,
    metrics: {
      'HR@5': 0.0449,
      'NDCG@5': 0.0247,
      'HR@10': 0.073,
      'NDCG@10': 0.0338,
      'HR@20': 0.1003,
      'NDCG@20': 0.0407,
      MRR: 0.0284,
    },
    longtail: { users: 300, 'HR@10': 0.02, 'NDCG@10': 0.01 },
    'coverage@10': 0.41,
    seconds: 2.5,
    about: { model: 'R2END' },
    ...over,
  };
}

const versions = { r2end: '0.1.0', node: '20.0.0', libtorch: '1.13.1' };

test('the card names the model in its usage, lists only the settings that differ, and says the template is not an LLM', () => {
  const card = writeModelCard(cardRecord(), { versions });
  assert.match(card, /^# R2END model `r2end-full`/);
  assert.match(card, /r2end recommend --work WORK --model r2end-full --user USER_ID/);
  assert.match(card, /r2end serve --work WORK --model r2end-full/);
  assert.match(card, /curl .*\/v1\/recommend/);
  assert.match(card, /\{"history": \[\{"item_id": "ITEM_ID", "timestamp": \d+\}\], "k": 10\}/);
  const settings = card.slice(card.indexOf('## Settings that differ from the defaults'));
  assert.match(settings, /- `projection.negatives`: "all" \(default: 99\)/);
  assert.doesNotMatch(settings, /seed/);
  assert.equal(settings.match(/^- /gm)?.length, 1);
  assert.doesNotMatch(card, /"distill": \{/, 'no JSON dump of the whole configuration');
  assert.match(card, /template \(not an LLM\)/);
  assert.match(card, /not an LLM/);
  assert.match(card, /libtorch: 1\.13\.1/);
  assert.match(card, /best validation NDCG@10 0\.0305 at epoch 2 of 3/);
  assert.match(card, /mean cosine 0\.7200 before distillation, 0\.8650 after/);
});

test('the card shows the metrics table only when an evaluation is given', () => {
  const without = writeModelCard(cardRecord(), { versions });
  assert.doesNotMatch(without, /\| HR@5 \|/);
  assert.match(without, /r2end evaluate --work WORK --recommender r2end-full/);

  const card = writeModelCard(cardRecord(), { versions, evaluation: cardEvaluation() });
  assert.match(card, /\| HR@5 \| NDCG@5 \| HR@10 \| NDCG@10 \| HR@20 \| NDCG@20 \| MRR \|/);
  assert.match(card, /\| 0\.0449 \| 0\.0247 \| 0\.0730 \| 0\.0338 \| 0\.1003 \| 0\.0407 \| 0\.0284 \|/);
  assert.match(card, /Test split of beauty_mini, 1,137 users, full ranking over all 1,267 items/);
  assert.match(card, /ties expected over a random order of tied items/);
  assert.doesNotMatch(card, /r2end evaluate/);
});

test('an LLM teacher is not called a template, and a default configuration lists no setting', () => {
  const r = cardRecord();
  r.config = resolveConfig([]) as unknown as Record<string, unknown>;
  r.teacher = {
    backend: 'openai',
    model: 'gemma-3-12b',
    mode: 'oracle',
    label: 'LLM gemma-3-12b (OpenAI-compatible server)',
    isLLM: true,
  };
  const card = writeModelCard(r, { versions, example: { user: 'A1', item: 'B00X', timestamp: 1400000000 } });
  assert.doesNotMatch(card, /not an LLM/);
  assert.match(card, /LLM gemma-3-12b/);
  assert.match(card, /--user A1\b/);
  assert.match(card, /"item_id": "B00X", "timestamp": 1400000000/);
  assert.match(card, /None: every setting is the default/);
});

test('imported texts are named as imported: neither an LLM nor the template teacher, and no mode', () => {
  const r = cardRecord();
  r.teacher = {
    backend: 'import',
    model: 'gpt4-sasrec',
    mode: 'oracle',
    label: 'imported texts gpt4-sasrec',
    isLLM: false,
  };
  const card = writeModelCard(r, { versions });
  assert.match(card, /Teacher: \*\*imported texts gpt4-sasrec\*\*: one text per training user, written outside r2end/);
  assert.match(card, /\| teacher \| imported texts gpt4-sasrec \|/);
  assert.doesNotMatch(card, /template teacher|Teacher: \*\*LLM|mode oracle/);
});

test('latestTestEvaluation: the newest unmasked test evaluation, none from before `since`', () => {
  const ws = Workspace.open(tempDir(), { create: true });
  try {
    assert.equal(latestTestEvaluation(ws, 'r2end-full'), undefined);
    saveEvaluation(ws, cardEvaluation());
    saveEvaluation(ws, cardEvaluation({ exclude_seen: true, metrics: { ...cardEvaluation().metrics, MRR: 0.5 } }));
    saveEvaluation(ws, cardEvaluation({ split: 'valid', metrics: { ...cardEvaluation().metrics, MRR: 0.6 } }));
    saveEvaluation(ws, cardEvaluation({ recommender: 'other', metrics: { ...cardEvaluation().metrics, MRR: 0.7 } }));
    assert.equal(latestTestEvaluation(ws, 'r2end-full')?.metrics.MRR, 0.0284);
    assert.equal(latestTestEvaluation(ws, 'r2end-full', '9999-01-01T00:00:00.000Z'), undefined);
  } finally {
    ws.close();
  }
});
