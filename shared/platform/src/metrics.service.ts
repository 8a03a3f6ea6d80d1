import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Request latencies: sub-millisecond NATS hops up to certifications that run for minutes. */
export const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Job attempts: seconds (a small audit) to hours (guide training). */
export const JOB_BUCKETS = [0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** gen_ai.server.time_to_first_token's advised boundaries, extended for a cold model on a busy CPU. */
export const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

/**
 * Prometheus metrics of one service process, served at /metrics. Assay's own are `assay_*`; Node's and the
 * process's default metrics keep their standard prom-client names (process_cpu_seconds_total,
 * nodejs_eventloop_lag_seconds, nodejs_heap_size_used_bytes...), so stock dashboards work.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'assay_requests_total',
    help: 'Requests handled, by transport (http|nats), route or subject, and outcome code',
    labelNames: ['transport', 'route', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'assay_request_duration_seconds',
    help: 'Request latency by transport and route or subject',
    labelNames: ['transport', 'route'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'assay_job_duration_seconds',
    help: 'Duration of job attempts run by this process, by queue and outcome (succeeded|failed|interrupted)',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'assay_jobs_total',
    help: 'Job attempts run by this process, by queue and outcome (a failed attempt may be retried; interrupted: shutdown, cancel)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'assay_time_to_first_token_seconds',
    help: 'Streamed generations: time from the request to its first generated token (gen_ai.server.time_to_first_token)',
    labelNames: ['model'] as const,
    buckets: TTFT_BUCKETS,
    registers: [this.registry],
  });
  readonly jobQueueDepth = new Gauge({
    name: 'assay_job_queue_depth',
    help: 'Jobs waiting in a durable queue (JetStream consumer pending + unacknowledged)',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly modelLoaded = new Gauge({
    name: 'assay_model_loaded',
    help: '1 when a model version is loaded and ready in this process, 0 when it failed or is loading',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'assay_tokens_total',
    help: 'Tokens processed, by model and direction (input|output)',
    labelNames: ['model', 'direction'] as const,
    registers: [this.registry],
  });

  private readonly collectors: Array<() => Promise<void>> = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Registers a refresh run before each scrape (e.g. to read queue depths from JetStream). */
  onCollect(collector: () => Promise<void>) {
    this.collectors.push(collector);
  }

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((collect) => collect().catch(() => undefined)));
    return this.registry.metrics();
  }
}
