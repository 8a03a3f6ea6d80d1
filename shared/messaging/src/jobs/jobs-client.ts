import { SpanKind, context, trace } from '@opentelemetry/api';
import type { JetStreamClient, NatsConnection } from 'nats';
import { assertFitsPayload, decodeNestEvent, encodeJson, encodeNestEvent } from '../codec';
import { maxPayload } from '../connection';
import { AssayError } from '../errors';
import { TRACEPARENT, injectTraceHeaders, messagingAttributes, recordSpanError, tracer } from '../tracing';
import { resolveJobsConfig, type JobsConfig, type ResolvedJobsConfig } from './config';
import { JOB_ID_HEADER, QUEUE_HEADER } from './dead-letters';
import { JobEvents } from './events';
import { ensureJobStores, type JobStores } from './infrastructure';
import { consumerName } from './names';
import type { ListFilter } from './job-records';
import { assertQueueName, eventsSubject, jobIdFor, jobNames, jobSubject, newJobId, type JobNames } from './names';
import { cancel, newRecord, statusEvent } from './record';
import { isTerminal, type AnyQueues, type JobEvent, type JobRecord, type PayloadInputOf, type PayloadParsers, type QueueMap, type QueueName } from './types';

export interface SubmitOptions {
  /** Idempotency key: the same (queue, clientKey) always yields the same job id, and the job runs once. */
  clientKey?: string;
}

export interface SubmitResult {
  jobId: string;
  /** False when the clientKey named an existing job. */
  created: boolean;
}

export interface JobsClientOptions {
  /**
   * Payload checks per queue, run by submit() before anything is queued: a bad payload is a BAD_REQUEST at the
   * submitter, never a failure inside a worker. With parsers, a queue without one is refused.
   */
  parsers?: PayloadParsers;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Re-read the record this often when no event arrives (core NATS events can be missed). Default 2 s. */
  pollMs?: number;
}

/** Submits durable jobs and reads their state. Safe to share; connects its streams and buckets on first use. */
export class JobsClient<Q extends QueueMap<Q> = AnyQueues> {
  private readonly config: ResolvedJobsConfig;
  private readonly names: JobNames;
  private readonly js: JetStreamClient;
  private readonly events: JobEvents;
  private stores?: Promise<JobStores>;

  constructor(
    private readonly nc: NatsConnection,
    config: JobsConfig = {},
    private readonly options: JobsClientOptions = {},
  ) {
    this.config = resolveJobsConfig(config);
    this.names = jobNames(this.config.namespace);
    this.js = nc.jetstream();
    this.events = new JobEvents(nc, this.names);
  }

  /** A client whose streams and buckets exist already. */
  static async create<Q extends QueueMap<Q> = AnyQueues>(nc: NatsConnection, config: JobsConfig = {}, options: JobsClientOptions = {}): Promise<JobsClient<Q>> {
    const client = new JobsClient<Q>(nc, config, options);
    await client.ready();
    return client;
  }

  /** Creates the streams and buckets if needed (idempotent; also done lazily by every call). */
  async ready(): Promise<void> {
    await this.open();
  }

  /** Returns at once with the job id; the job runs on a worker of `queue`. A payload its parser refuses is never queued. */
  async submit<K extends QueueName<Q>>(queue: K, payload: PayloadInputOf<Q, K>, options: SubmitOptions = {}): Promise<SubmitResult> {
    assertQueueName(queue);
    const checked = this.checkPayload(queue, payload);
    const { records, jsm } = await this.open();
    const jobId = options.clientKey !== undefined ? jobIdFor(queue, options.clientKey) : newJobId();
    const subject = jobSubject(this.names, queue, jobId);
    const span = tracer.startSpan(`submit ${queue}`, {
      kind: SpanKind.PRODUCER,
      attributes: messagingAttributes(subject, 'publish', { 'assay.job.id': jobId, 'assay.job.queue': queue }),
    });
    const spanContext = trace.setSpan(context.active(), span);
    try {
      const headers = injectTraceHeaders(spanContext);
      headers.set(JOB_ID_HEADER, jobId);
      headers.set(QUEUE_HEADER, queue);
      const body = encodeJson(checked);
      assertFitsPayload(subject, body, headers, maxPayload(this.nc));

      const record = newRecord(jobId, queue, new Date().toISOString(), {
        clientKey: options.clientKey,
        traceparent: headers.get(TRACEPARENT) || undefined,
      });
      const created = await records.create(record);
      if (!created) {
        span.setAttribute('assay.job.duplicate', true);
        const existing = await records.get(jobId);
        // Re-publish only if an earlier submit stored the record but its message never reached the stream.
        if (!existing || existing.record.status !== 'queued' || (await this.messagePending(jsm, subject))) {
          return { jobId, created: false };
        }
      }
      try {
        // msgID: concurrent submits of one clientKey put one message in the stream.
        await this.js.publish(subject, body, { headers, msgID: jobId });
      } catch (error) {
        if (created) await records.remove(jobId).catch(() => undefined);
        throw new AssayError('UNAVAILABLE', `job ${jobId} not queued: ${(error as Error).message}`);
      }
      if (created) this.events.status(record);
      return { jobId, created };
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** The job record; NOT_FOUND when there is none. */
  async status(jobId: string): Promise<JobRecord> {
    const { records } = await this.open();
    const stored = await records.get(jobId);
    if (!stored) throw new AssayError('NOT_FOUND', `no job ${jobId}`);
    return stored.record;
  }

  /**
   * The result of a succeeded job, waiting up to `waitMs` (default 0) for it to finish. Throws the job's error
   * when it failed or died, UNAVAILABLE when it was cancelled or is not finished, NOT_FOUND when unknown.
   */
  async result<R = unknown>(jobId: string, options: { waitMs?: number } = {}): Promise<R> {
    let record = await this.status(jobId);
    if (!isTerminal(record.status) && (options.waitMs ?? 0) > 0) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.waitMs);
      try {
        for await (const event of this.watch(jobId, { signal: controller.signal, pollMs: Math.min(2_000, options.waitMs!) })) {
          if (isTerminal(event.status)) break;
        }
      } finally {
        clearTimeout(timer);
      }
      record = await this.status(jobId);
    }
    if (record.status === 'succeeded') return record.result as R;
    if ((record.status === 'failed' || record.status === 'dead') && record.error) throw AssayError.fromEnvelope(record.error);
    throw new AssayError('UNAVAILABLE', `job ${jobId} is ${record.status}`, { status: record.status });
  }

  /** Newest first. */
  async list(filter: ListFilter = {}): Promise<JobRecord[]> {
    const { records } = await this.open();
    return records.list(filter);
  }

  /**
   * Status and progress events of one job: first its current state, then live events, ending after a terminal
   * status (or when `signal` aborts). Missed live events are made up by re-reading the record.
   */
  async *watch(jobId: string, options: WatchOptions = {}): AsyncGenerator<JobEvent> {
    const { records } = await this.open();
    const pollMs = options.pollMs ?? 2_000;
    const pending: JobEvent[] = [];
    let wake: (() => void) | undefined;
    const push = (event: JobEvent) => {
      pending.push(event);
      wake?.();
    };
    const subscription = this.nc.subscribe(eventsSubject(this.names, jobId), {
      callback: (err, msg) => {
        if (!err) push(decodeNestEvent<JobEvent>(msg.data));
      },
    });
    const onAbort = () => wake?.();
    options.signal?.addEventListener('abort', onAbort);
    try {
      await this.nc.flush(); // subscribed before reading the snapshot: no gap
      const first = await records.get(jobId);
      if (!first) throw new AssayError('NOT_FOUND', `no job ${jobId}`);
      let last = statusEvent(first.record);
      yield last;
      while (!isTerminal(last.status) && !options.signal?.aborted) {
        if (pending.length === 0) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, pollMs);
          });
          wake = undefined;
          clearTimeout(timer);
          if (pending.length === 0 && !options.signal?.aborted) {
            const stored = await records.get(jobId);
            if (stored && (stored.record.status !== last.status || stored.record.attempts !== last.attempts)) pending.push(statusEvent(stored.record));
          }
          continue;
        }
        last = pending.shift()!;
        yield last;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
    }
  }

  /** Cancels a job that has not finished: a queued message is purged, a running handler's signal fires. */
  async cancel(jobId: string): Promise<JobRecord> {
    const { records, jsm, checkpoints } = await this.open();
    const stored = await records.mutate(jobId, (r) => cancel(r, new Date().toISOString()));
    if (!stored) throw new AssayError('NOT_FOUND', `no job ${jobId}`);
    if (stored.changed) {
      const { record } = stored;
      await jsm.streams.purge(this.names.stream, { filter: jobSubject(this.names, record.queue, jobId) }).catch(() => undefined);
      this.nc.publish(this.names.cancelSubject, encodeNestEvent(this.names.cancelSubject, { jobId }));
      this.events.status(record);
      await checkpoints.remove(jobId).catch(() => undefined);
    }
    return stored.record;
  }

  /**
   * Jobs of a queue waiting for a worker or running (the durable consumer's pending + unacknowledged
   * messages), for the job-queue-depth metric. A queue no worker has attached to yet reports 0.
   */
  async queueDepth(queue: QueueName<Q>): Promise<number> {
    const { jsm } = await this.open();
    try {
      const info = await jsm.consumers.info(this.names.stream, consumerName(queue));
      return info.num_pending + info.num_ack_pending;
    } catch (error) {
      if ((error as { api_error?: { code?: number } }).api_error?.code === 404) return 0;
      throw error;
    }
  }

  private checkPayload(queue: string, payload: unknown): unknown {
    const { parsers } = this.options;
    if (!parsers) return payload;
    const parse = parsers[queue];
    if (!parse) throw new AssayError('BAD_REQUEST', `unknown job queue "${queue}"`, { queue });
    return parse(payload);
  }

  private open(): Promise<JobStores> {
    this.stores ??= ensureJobStores(this.nc, this.names, this.config).catch((error) => {
      this.stores = undefined;
      throw error;
    });
    return this.stores;
  }

  private async messagePending(jsm: JobStores['jsm'], subject: string): Promise<boolean> {
    try {
      await jsm.streams.getMessage(this.names.stream, { last_by_subj: subject });
      return true;
    } catch (error) {
      if ((error as { api_error?: { code?: number } }).api_error?.code === 404) return false;
      throw error;
    }
  }
}
