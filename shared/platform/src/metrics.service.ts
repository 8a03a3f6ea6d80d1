import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one service process, served at /metrics. */
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
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
    collectDefaultMetrics({ register: this.registry, prefix: 'assay_' });
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
