import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from '../../src/serve/metrics.js';

test('Metrics instances in one process keep separate counts', async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.request('GET', '/healthz', 200, 0.002);
  a.request('GET', '/healthz', 200, 0.004);
  b.request('GET', '/healthz', 200, 0.003);
  const gauges = { indexItems: 3, addedItems: 0, model: 'm', version: 'v1' };
  const [ta, tb] = await Promise.all([a.render(gauges), b.render(gauges)]);
  assert.match(ta, /^r2end_http_requests_total\{method="GET",route="\/healthz",status="200"\} 2$/m);
  assert.match(tb, /^r2end_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1$/m);
  assert.match(tb, /^r2end_http_request_duration_seconds_sum\{route="\/healthz"\} 0\.003$/m);
  // Both cache series exist before any batch, so a hit ratio is defined from the first scrape.
  assert.match(tb, /^r2end_history_cache_total\{result="hit"\} 0$/m);
  assert.match(tb, /^r2end_history_cache_total\{result="miss"\} 0$/m);
});
