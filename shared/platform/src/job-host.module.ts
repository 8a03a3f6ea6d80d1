import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, SetMetadata } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NatsConnection } from 'nats';
import { Logger } from 'pino';
import { JobContext, JobsClient, JobWorker } from '@assay/messaging';
import type { AssayConfig } from './config';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';
import { ASSAY_CONFIG, ASSAY_LOGGER, NATS_CONNECTION } from './tokens';

const JOB_HANDLER = 'assay:job-handler';
const JOB_HOST_OPTIONS = Symbol('JOB_HOST_OPTIONS');

/** Marks a provider method as the handler of a durable job queue: `@HandlesJob('guide-training.train')`. */
export const HandlesJob = (queue: string) => SetMetadata(JOB_HANDLER, queue);

export interface JobHostOptions {
  /** Queues this service must serve: boot fails when one has no handler or two. */
  queues: readonly string[];
  concurrency?: number;
}

/**
 * Runs the service's job handlers on a JetStream worker: discovers @HandlesJob methods at boot, starts
 * pulling, and on shutdown stops pulling and lets running jobs checkpoint before their message is handed
 * back, so another replica resumes them.
 */
@Injectable()
export class JobHostService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: JobWorker;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly jobs: JobsClient,
    private readonly metrics: MetricsService,
    private readonly readiness: ReadinessService,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
    @Inject(JOB_HOST_OPTIONS) private readonly options: JobHostOptions,
  ) {}

  async onApplicationBootstrap() {
    const handlers = this.discoverHandlers();
    for (const queue of this.options.queues) {
      const found = handlers.get(queue) ?? [];
      if (found.length !== 1) throw new Error(`job queue "${queue}" must have exactly one @HandlesJob handler, found ${found.length}`);
    }
    const undeclared = [...handlers.keys()].filter((queue) => !this.options.queues.includes(queue));
    if (undeclared.length) throw new Error(`@HandlesJob handlers for queues not declared in JobHostModule.forRoot: ${undeclared.join(', ')}`);
    const worker = new JobWorker(this.nc, this.config.jobs, {
      queues: this.options.queues,
      concurrency: this.options.concurrency ?? 1,
      logger: {
        warn: (message: string, ...context: unknown[]) => this.logger.warn({ context }, message),
        error: (message: string, ...context: unknown[]) => this.logger.error({ context }, message),
      },
    });
    for (const queue of this.options.queues) worker.register(queue, this.metered(queue, handlers.get(queue)![0]));
    await worker.start();
    this.worker = worker;
    this.readiness.register('job-worker', async () => (this.worker ? true : 'stopped'));
    this.metrics.onCollect(async () => {
      for (const queue of this.options.queues) {
        const depth = await this.jobs.queueDepth(queue).catch(() => undefined);
        if (depth !== undefined) this.metrics.jobQueueDepth.set({ queue }, depth);
      }
    });
    this.logger.info({ queues: this.options.queues, worker: worker.workerId }, 'job worker started');
  }

  /** Before the NATS connection drains: running jobs checkpoint and are handed back first. */
  async beforeApplicationShutdown() {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.stop();
  }

  /** Times each attempt and counts its outcome; an attempt whose signal fired (shutdown, cancel) was interrupted. */
  private metered(queue: string, handler: (job: JobContext<unknown>) => Promise<unknown>) {
    return async (job: JobContext<unknown>) => {
      const stop = this.metrics.jobDuration.startTimer({ queue });
      let outcome = 'failed';
      try {
        const result = await handler(job);
        outcome = 'succeeded';
        return result;
      } catch (error) {
        if (job.signal.aborted) outcome = 'interrupted';
        throw error;
      } finally {
        stop({ outcome });
        this.metrics.jobs.inc({ queue, outcome });
      }
    };
  }

  private discoverHandlers(): Map<string, Array<(job: JobContext<unknown>) => Promise<unknown>>> {
    const handlers = new Map<string, Array<(job: JobContext<unknown>) => Promise<unknown>>>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const queue = this.reflector.get<string>(JOB_HANDLER, prototype[method]);
        if (!queue) continue;
        const list = handlers.get(queue) ?? [];
        list.push((job) => (instance[method] as (job: JobContext<unknown>) => Promise<unknown>).call(instance, job));
        handlers.set(queue, list);
      }
    }
    return handlers;
  }
}

@Module({})
export class JobHostModule {
  static forRoot(options: JobHostOptions): DynamicModule {
    return {
      module: JobHostModule,
      imports: [DiscoveryModule],
      providers: [{ provide: JOB_HOST_OPTIONS, useValue: options }, JobHostService],
    };
  }
}
