import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, SetMetadata } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NatsConnection } from 'nats';
import { Logger } from 'pino';
import { ObjectStore } from '@assay/artifacts';
import { AssayJobQueues, JobPayload, JobQueue, JobResult, SERVICE_CONTRACTS } from '@assay/contracts';
import { AssayJobsClient, JobContext, JobWorker, registryPayloadParsers } from '@assay/messaging';
import type { AssayConfig } from './config';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';
import { ASSAY_CONFIG, ASSAY_LOGGER, NATS_CONNECTION } from './tokens';

const JOB_HANDLER = 'assay:job-handler';
const JOB_HOST_OPTIONS = Symbol('JOB_HOST_OPTIONS');

/**
 * Marks a provider method as the handler of a durable job queue: `@HandlesJob('guide-training.train')`. Typed by the
 * registry: the method receives the queue's parsed payload and returns its result, or it does not compile.
 */
export function HandlesJob<Q extends JobQueue>(queue: Q) {
  return <T extends (job: JobContext<JobPayload<Q>>) => Promise<JobResult<Q>>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<T>): void => {
    SetMetadata(JOB_HANDLER, queue)(target, key, descriptor);
  };
}

export interface JobHostOptions {
  /** Jobs run at once by this replica, over all its queues. Default 1. */
  concurrency?: number;
}

type Handler = (job: JobContext<unknown>) => Promise<unknown>;

/**
 * Runs the service's job handlers on a JetStream worker: the queues are the service's queues in the contract
 * registry, each must have exactly one @HandlesJob method (boot fails otherwise), payloads are checked by the
 * registry's schemas, and JobContext.scratch writes to the object store. On shutdown it stops pulling and lets
 * running jobs checkpoint before their message is handed back, so another replica resumes them.
 */
@Injectable()
export class JobHostService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: JobWorker<AssayJobQueues>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly jobs: AssayJobsClient,
    private readonly store: ObjectStore,
    private readonly metrics: MetricsService,
    private readonly readiness: ReadinessService,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
    @Inject(JOB_HOST_OPTIONS) private readonly options: JobHostOptions,
  ) {}

  /** The queues of this service in the registry. */
  get queues(): JobQueue[] {
    if (!this.config.service) throw new Error('JobHostModule needs PlatformModule.forRoot({ service })');
    return Object.keys(SERVICE_CONTRACTS[this.config.service].queues) as JobQueue[];
  }

  async onApplicationBootstrap() {
    const queues = this.queues;
    if (queues.length === 0) throw new Error(`service ${this.config.service} declares no job queue in the contract registry; drop JobHostModule`);
    const handlers = this.discoverHandlers();
    for (const queue of queues) {
      const found = handlers.get(queue) ?? [];
      if (found.length !== 1) throw new Error(`job queue "${queue}" must have exactly one @HandlesJob handler, found ${found.length}`);
    }
    const undeclared = [...handlers.keys()].filter((queue) => !(queues as string[]).includes(queue));
    if (undeclared.length) throw new Error(`@HandlesJob handlers for queues this service does not declare in the contract registry: ${undeclared.join(', ')}`);
    // An api process serves requests (and submits jobs) but consumes none: the workers scale apart.
    if (this.config.role === 'api') {
      this.logger.info({ queues }, 'job worker not started (ASSAY_ROLE=api)');
      return;
    }
    const worker = new JobWorker<AssayJobQueues>(this.nc, this.config.jobs, {
      queues,
      concurrency: this.options.concurrency ?? 1,
      scratchStore: this.store,
      parsers: registryPayloadParsers(),
      logger: {
        warn: (message: string, ...context: unknown[]) => this.logger.warn({ context }, message),
        error: (message: string, ...context: unknown[]) => this.logger.error({ context }, message),
      },
    });
    for (const queue of queues) worker.register(queue, this.metered(queue, handlers.get(queue)![0]) as never);
    await worker.start();
    this.worker = worker;
    this.readiness.register('job-worker', async () => (this.worker ? true : 'stopped'));
    this.metrics.onCollect(async () => {
      for (const queue of queues) {
        const depth = await this.jobs.queueDepth(queue).catch(() => undefined);
        if (depth !== undefined) this.metrics.jobQueueDepth.set({ queue }, depth);
      }
    });
    this.logger.info({ queues, worker: worker.workerId }, 'job worker started');
  }

  /** Before the NATS connection drains: running jobs checkpoint and are handed back first. */
  async beforeApplicationShutdown() {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.stop();
  }

  /** Times each attempt and counts its outcome; an attempt whose signal fired (shutdown, cancel) was interrupted. */
  private metered(queue: string, handler: Handler): Handler {
    return async (job) => {
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

  private discoverHandlers(): Map<string, Handler[]> {
    const handlers = new Map<string, Handler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const queue = this.reflector.get<string>(JOB_HANDLER, prototype[method]);
        if (!queue) continue;
        const list = handlers.get(queue) ?? [];
        list.push((job) => (instance[method] as Handler).call(instance, job));
        handlers.set(queue, list);
      }
    }
    return handlers;
  }
}

@Module({})
export class JobHostModule {
  /** Serves the job queues the service declares in the contract registry. */
  static forRoot(options: JobHostOptions = {}): DynamicModule {
    return {
      module: JobHostModule,
      imports: [DiscoveryModule],
      providers: [{ provide: JOB_HOST_OPTIONS, useValue: options }, JobHostService],
    };
  }
}
