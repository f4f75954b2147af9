import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress, formatDuration } from '../../src/util/progress.js';

test('progress line shows count, percentage, rate, extra rates and ETA', () => {
  const p = new Progress('teach', 200, { unit: 'prompts', silent: true });
  p.tick(50, { tokens: 1000 });
  const line = p.line();
  assert.match(line, /^teach \[#{6}-{18}\] 50\/200 25\.0% \| [\d.]+ prompts\/s \| [\d.]+ tokens\/s \| ETA /);
  p.set(200);
  assert.match(p.line(), /200\/200 100\.0% .* total$/);
  assert.equal(formatDuration(59), '59s');
  assert.equal(formatDuration(61), '1m01s');
  assert.equal(formatDuration(3725), '1h02m');
});
