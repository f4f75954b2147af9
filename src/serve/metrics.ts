/** The service's Prometheus metrics, on prom-client, with Node's default process metrics beside them. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

export class Metrics {
  // One registry per instance, not the global one: several servers in one process must not collide.
  private readonly register = new Registry();
  private readonly requests = new Counter({
    name: 'r2end_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [this.register],
  });
  private readonly latency = new Histogram({
    name: 'r2end_http_request_duration_seconds',
    help: 'HTTP request latency.',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers: [this.register],
  });
  private readonly encoder = new Histogram({
    name: 'r2end_encoder_seconds',
    help: 'Time the encoder and projection took per engine batch.',
    buckets: LATENCY_BUCKETS,
    registers: [this.register],
  });
  private readonly batches = new Histogram({
    name: 'r2end_batch_size',
    help: 'Histories per engine batch (micro-batching).',
    buckets: BATCH_BUCKETS,
    registers: [this.register],
  });
  private readonly scores = new Histogram({
    name: 'r2end_score_seconds',
    help: 'Time the served model took to score and rank one micro-batch of requests (every part of a hybrid).',
    buckets: LATENCY_BUCKETS,
    registers: [this.register],
  });
  private readonly scoreBatches = new Histogram({
    name: 'r2end_score_batch_size',
    help: 'Requests scored together in one call of the served model (micro-batching).',
    buckets: BATCH_BUCKETS,
    registers: [this.register],
  });
  private readonly cached = new Counter({
    name: 'r2end_history_cache_total',
    help: 'Histories whose vector came from the cache (hit) or the encoder (miss).',
    labelNames: ['result'],
    registers: [this.register],
  });
  private readonly indexItems = new Gauge({
    name: 'r2end_index_items',
    help: 'Recommendable items in the index.',
    registers: [this.register],
  });
  private readonly served = new Gauge({
    name: 'r2end_model_info',
    help: 'The served model and its version (value 1).',
    labelNames: ['model', 'version'],
    registers: [this.register],
  });
  private readonly addedItems = new Gauge({
    name: 'r2end_added_items',
    help: 'Items added at run time (cold start).',
    registers: [this.register],
  });

  constructor() {
    collectDefaultMetrics({ register: this.register });
    // Both series from the start, so a hit ratio is defined before the first miss.
    this.cached.inc({ result: 'hit' }, 0);
    this.cached.inc({ result: 'miss' }, 0);
  }

  /** The exposition format's content type, for the /metrics response. */
  get contentType(): string {
    return this.register.contentType;
  }

  /** One finished HTTP request; `route` is the route pattern (bounded cardinality), not the URL. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status });
    this.latency.observe({ route }, seconds);
  }

  /** One engine batch: its size and the seconds the encoder (and projection) took. */
  batch(size: number, encoderSeconds: number): void {
    this.batches.observe(size);
    this.encoder.observe(encoderSeconds);
  }

  /** One call of the served model for a micro-batch of requests. */
  scoring(size: number, seconds: number): void {
    this.scoreBatches.observe(size);
    this.scores.observe(seconds);
  }

  /** Histories served from the vector cache (hit) or sent to the encoder (miss). */
  cache(hits: number, misses: number): void {
    this.cached.inc({ result: 'hit' }, hits);
    this.cached.inc({ result: 'miss' }, misses);
  }

  /** Async because some default metrics (event-loop lag) are measured at scrape time. */
  render(gauges: { indexItems: number; addedItems: number; model: string; version: string }): Promise<string> {
    this.served.reset();
    this.served.set({ model: gauges.model, version: gauges.version }, 1);
    this.indexItems.set(gauges.indexItems);
    this.addedItems.set(gauges.addedItems);
    return this.register.metrics();
  }
}
