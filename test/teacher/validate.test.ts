import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from '../../src/teacher/openai.js';
import type { TeacherJob } from '../../src/teacher/prompts.js';
import { backoff } from '../../src/teacher/runner.js';
import { checkAnswer, withoutPrediction } from '../../src/teacher/validate.js';

const job = (kind: TeacherJob['kind'], extra: Partial<TeacherJob> = {}): TeacherJob => ({
  kind,
  subject: 0,
  prompt: '',
  hash: 'h',
  ...extra,
});
const said = (text: string, finishReason = 'stop') => ({ text, finishReason, promptTokens: 0, completionTokens: 0 });

test('answers: the opening, cut-off and empty checks', () => {
  assert.deepEqual(
    checkAnswer(job('reasoning'), said("The user's preferences related to the target item are as follows: x")),
    { ok: true, predictionMatch: null },
  );
  // The paper's own Beauty sample names the item inside the opening; curly quotes and bold pass.
  assert.equal(
    checkAnswer(
      job('reasoning'),
      said('**The user’s preferences related to the target item (John Frieda Dryer) are as follows:** x'),
    ).ok,
    true,
  );
  assert.deepEqual(checkAnswer(job('reasoning'), said('Sure! The user’s preferences ...')), {
    ok: false,
    reason: 'answer does not start with "The user\'s preferences related to the target item ..."',
  });
  assert.deepEqual(checkAnswer(job('description'), said('Users who prefer x', 'length')), {
    ok: false,
    reason: 'answer cut off (finish_reason: length); raise --max-tokens',
  });
  assert.deepEqual(checkAnswer(job('description'), said('  \n')), { ok: false, reason: 'empty answer' });
  assert.equal(checkAnswer(job('description'), said('Anything'), { opening: false }).ok, true);
});

test('unguided answers: the prediction must name a candidate; it matches or not', () => {
  const j = job('unguided', { answer: 3, choices: 20 });
  assert.deepEqual(checkAnswer(j, said('The user’s preferences are as follows: x.\nPrediction: [3]')), {
    ok: true,
    predictionMatch: true,
  });
  assert.deepEqual(checkAnswer(j, said('The user’s preferences are as follows: x.\n**Prediction:** 7')), {
    ok: true,
    predictionMatch: false,
  });
  assert.deepEqual(checkAnswer(j, said('The user’s preferences are as follows: x.\nPrediction: [21]')), {
    ok: false,
    reason: 'prediction 21 is not a candidate number (1..20)',
  });
  assert.equal(checkAnswer(j, said('The user’s preferences are as follows: x.')).ok, false);
  assert.equal(
    withoutPrediction('The user’s preferences are as follows: x.\nPrediction: [3]'),
    'The user’s preferences are as follows: x.',
  );
  assert.equal(withoutPrediction('Prefers serums. Prediction: 4'), 'Prefers serums.');
});

test('backoff: exponential with jitter, capped; Retry-After is a floor', () => {
  const o = { backoffMs: 100, maxBackoffMs: 1000 };
  for (let k = 0; k < 50; k++) {
    const first = backoff(1, o);
    assert.ok(first >= 50 && first <= 100);
    const fourth = backoff(4, o);
    assert.ok(fourth >= 400 && fourth <= 800);
    assert.ok(backoff(20, o) <= 1000);
    assert.ok(backoff(1, o, 5000) >= 5000);
  }
  assert.equal(retryAfterMs('2'), 2000);
  assert.equal(retryAfterMs('0.25'), 250);
  const inTwoMinutes = retryAfterMs(new Date(Date.now() + 120_000).toUTCString())!;
  assert.ok(inTwoMinutes > 110_000 && inTwoMinutes <= 120_000);
  assert.equal(retryAfterMs('soon'), undefined);
});
