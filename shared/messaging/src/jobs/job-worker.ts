import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Consumer, JetStreamClient, NatsConnection, Subscription } from 'nats';
import { decodeNestEvent } from '../codec';
import { resolveJobsConfig, type JobsConfig, type ResolvedJobsConfig } from './config';
import { DeadLetters, giveBack, type JobLogger } from './dead-letters';
import { JobEvents } from './events';
import { ensureJobStores, ensureQueueConsumer } from './infrastructure';
import { JobRun, type RunDeps } from './job-run';
import { assertQueueName, jobNames, type JobNames } from './names';
import { Slots } from './slots';
import type { BlobStore } from './scratch';
import type { AnyQueues, JobHandler, PayloadOf, PayloadParsers, QueueMap, QueueName, ResultOf } from './types';

export interface JobWorkerOptions<Q> {
  /** Jobs run at once by this worker, over all its queues. Default 1. */
  concurrency?: number;
  /** The queues this worker must serve: start() fails when one has no handler, register() refuses others. */
  queues?: readonly QueueName<Q>[];
  /** How long one pull waits for a message (min 1000). Default 5000; stop() may wait this long for pulls to end. */
  pullExpiresMs?: number;
  /** stop(): time for running handlers to finish before their signal fires. Default 10 s. */
  stopGraceMs?: number;
  /** stop(): time after the signal fired to checkpoint and return before the message is handed back. Default 2 s. */
  abortGraceMs?: number;
  workerId?: string;
  logger?: JobLogger;
  /** The object store for JobContext.scratch and checkpoints too large for the KV bucket. */
  scratchStore?: BlobStore;
  /** Payload checks per queue, run before each handler (see JobsClientOptions.parsers). */
  parsers?: PayloadParsers;
}

export interface StopOptions {
  graceMs?: number;
  abortGraceMs?: number;
}

/**
 * Pulls jobs from one durable consumer per registered queue and runs their handlers (see JobRun for the life of
 * one delivery). Register every handler, then start(); stop() on shutdown.
 */
export class JobWorker<Q extends QueueMap<Q> = AnyQueues> {
  private readonly config: ResolvedJobsConfig;
  private readonly names: JobNames;
  private readonly handlers = new Map<string, JobHandler<unknown, unknown>>();
  private readonly runs = new Set<JobRun>();
  private readonly loops: Promise<void>[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly slots: Slots;
  private readonly logger: JobLogger;
  readonly workerId: string;
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopped?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    config: JobsConfig = {},
    private readonly options: JobWorkerOptions<Q> = {},
  ) {
    this.config = resolveJobsConfig(config);
    this.names = jobNames(this.config.namespace);
    this.slots = new Slots(options.concurrency ?? 1);
    this.logger = options.logger ?? console;
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  register<K extends QueueName<Q>>(queue: K, handler: JobHandler<PayloadOf<Q, K>, ResultOf<Q, K>>): this {
    assertQueueName(queue);
    if (this.state !== 'idle') throw new Error(`register("${queue}") after start()`);
    if (this.handlers.has(queue)) throw new Error(`job queue "${queue}" already has a handler in this worker`);
    if (this.options.queues && !this.options.queues.includes(queue)) {
      throw new Error(`job queue "${queue}" is not among this worker's queues (${this.options.queues.join(', ')})`);
    }
    this.handlers.set(queue, handler as JobHandler<unknown, unknown>);
    return this;
  }

  /** Queues with a registered handler. */
  get queues(): string[] {
    return [...this.handlers.keys()];
  }

  /** Jobs being handled right now. */
  get inFlight(): number {
    return this.runs.size;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('JobWorker.start() called twice');
    const missing = (this.options.queues ?? []).filter((q) => !this.handlers.has(q));
    if (missing.length > 0) throw new Error(`job queues without a handler: ${missing.join(', ')}`);
    if (this.handlers.size === 0) throw new Error('JobWorker.start(): no job handlers registered');
    this.state = 'starting';

    const stores = await ensureJobStores(this.nc, this.names, this.config);
    const js = this.nc.jetstream();
    const events = new JobEvents(this.nc, this.names);
    const deadLetters = new DeadLetters(js, stores.jsm, this.names, stores.records, events, this.logger);
    const deps: RunDeps = {
      js,
      config: this.config,
      records: stores.records,
      checkpoints: stores.checkpoints,
      events,
      deadLetters,
      workerId: this.workerId,
      logger: this.logger,
      scratchStore: this.options.scratchStore,
      payloadParsers: this.options.parsers,
    };

    const consumers = new Map<string, Consumer>();
    for (const queue of this.handlers.keys()) {
      const durable = await ensureQueueConsumer(stores.jsm, this.names, queue, this.config);
      consumers.set(queue, await js.consumers.get(this.names.stream, durable));
    }
    this.subscriptions.push(
      this.nc.subscribe(this.names.cancelSubject, {
        callback: (err, msg) => {
          if (err) return;
          const { jobId } = decodeNestEvent<{ jobId: string }>(msg.data);
          for (const run of this.runs) if (run.jobId === jobId) run.abort('cancelled');
        },
      }),
      deadLetters.listenForExhaustedJobs(this.nc, this.config),
    );
    await this.nc.flush();
    this.state = 'running';
    for (const [queue, consumer] of consumers) this.loops.push(this.pull(queue, consumer, deps, js));
  }

  /**
   * Stops pulling, lets running handlers finish for `graceMs`, then fires their signal and gives them
   * `abortGraceMs` to checkpoint and return; whatever still runs is handed back (nak) for another worker at once.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopped ??= this.shutdown(options);
    return this.stopped;
  }

  private async shutdown(options: StopOptions): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.slots.close();
    const allSettled = () => Promise.all([...this.runs].map((run) => run.settled));
    await within(allSettled(), options.graceMs ?? this.options.stopGraceMs ?? 10_000);
    if (this.runs.size > 0) {
      for (const run of this.runs) run.abort('shutdown');
      await within(allSettled(), options.abortGraceMs ?? this.options.abortGraceMs ?? 2_000);
      await Promise.all([...this.runs].map((run) => run.abandon()));
    }
    await within(Promise.all(this.loops), this.pullExpiresMs() + 1_000);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.state = 'stopped';
  }

  private pullExpiresMs(): number {
    return Math.max(1_000, this.options.pullExpiresMs ?? 5_000);
  }

  /** Pulls one message per free slot, so no message waits in a local buffer while its ack timer runs. */
  private async pull(queue: string, consumer: Consumer, deps: RunDeps, js: JetStreamClient): Promise<void> {
    const handler = this.handlers.get(queue)!;
    while (this.state === 'running') {
      if (!(await this.slots.acquire())) break;
      let msg = null;
      try {
        msg = await consumer.next({ expires: this.pullExpiresMs() });
      } catch (error) {
        if (this.nc.isClosed()) break;
        if (this.state === 'running') {
          this.logger.warn(`job queue ${queue}: pull failed, retrying`, error);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
      if (!msg) {
        this.slots.release();
        continue;
      }
      if (this.state !== 'running') {
        await giveBack(js, msg, this.config.maxDeliver).catch(() => undefined);
        this.slots.release();
        break;
      }
      const run = new JobRun(deps, queue, handler, msg);
      this.runs.add(run);
      void run.settled.then(() => {
        this.runs.delete(run);
        this.slots.release();
      });
    }
  }
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
