/** The service's Prometheus metrics, rendered in the text exposition format (version 0.0.4). */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]++;
    });
  }

  render(name: string, labels = ''): string[] {
    const sep = labels ? `${labels},` : '';
    const lines = this.buckets.map((b, i) => `${name}_bucket{${sep}le="${b}"} ${this.counts[i]}`);
    const braces = labels ? `{${labels}}` : '';
    lines.push(
      `${name}_bucket{${sep}le="+Inf"} ${this.count}`,
      `${name}_sum${braces} ${this.sum}`,
      `${name}_count${braces} ${this.count}`,
    );
    return lines;
  }
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly encoder = new Histogram(LATENCY_BUCKETS);
  private readonly batches = new Histogram(BATCH_BUCKETS);
  private readonly cached = { hit: 0, miss: 0 };

  /** One finished HTTP request; `route` is the route pattern (bounded cardinality), not the URL. */
  request(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${label(method)}",route="${label(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lk = `route="${label(route)}"`;
    let h = this.latency.get(lk);
    if (!h) this.latency.set(lk, (h = new Histogram(LATENCY_BUCKETS)));
    h.observe(seconds);
  }

  /** One engine batch: its size and the seconds the encoder (and projection) took. */
  batch(size: number, encoderSeconds: number): void {
    this.batches.observe(size);
    this.encoder.observe(encoderSeconds);
  }

  /** Histories served from the vector cache (hit) or sent to the encoder (miss). */
  cache(hits: number, misses: number): void {
    this.cached.hit += hits;
    this.cached.miss += misses;
  }

  render(gauges: { indexItems: number; addedItems: number }): string {
    const lines = [
      '# HELP r2end_http_requests_total HTTP requests by method, route and status.',
      '# TYPE r2end_http_requests_total counter',
      ...[...this.requests].map(([k, v]) => `r2end_http_requests_total{${k}} ${v}`),
      '# HELP r2end_http_request_duration_seconds HTTP request latency.',
      '# TYPE r2end_http_request_duration_seconds histogram',
      ...[...this.latency].flatMap(([k, h]) => h.render('r2end_http_request_duration_seconds', k)),
      '# HELP r2end_encoder_seconds Time the encoder and projection took per engine batch.',
      '# TYPE r2end_encoder_seconds histogram',
      ...this.encoder.render('r2end_encoder_seconds'),
      '# HELP r2end_batch_size Histories per engine batch (micro-batching).',
      '# TYPE r2end_batch_size histogram',
      ...this.batches.render('r2end_batch_size'),
      '# HELP r2end_history_cache_total Histories whose vector came from the cache (hit) or the encoder (miss).',
      '# TYPE r2end_history_cache_total counter',
      `r2end_history_cache_total{result="hit"} ${this.cached.hit}`,
      `r2end_history_cache_total{result="miss"} ${this.cached.miss}`,
      '# HELP r2end_index_items Recommendable items in the index.',
      '# TYPE r2end_index_items gauge',
      `r2end_index_items ${gauges.indexItems}`,
      '# HELP r2end_added_items Items added at run time (cold start).',
      '# TYPE r2end_added_items gauge',
      `r2end_added_items ${gauges.addedItems}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
