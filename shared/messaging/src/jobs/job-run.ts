import { ROOT_CONTEXT, SpanKind, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { JetStreamClient, JsMsg } from 'nats';
import { decodeJson } from '../codec';
import { AssayError } from '../errors';
import { contextFromTraceparent, extractTraceContext, messagingAttributes, recordSpanError, tracer } from '../tracing';
import { Checkpoints, type SavedCheckpoint } from './checkpoints';
import { retryDelay, type ResolvedJobsConfig } from './config';
import { giveBack, type DeadLetters, type JobLogger } from './dead-letters';
import type { JobEvents } from './events';
import type { JobRecords } from './job-records';
import { jobIdFromSubject } from './names';
import { endAttempt, ownsJob, startAttempt, succeed, withProgress } from './record';
import { JobScratch, type BlobStore } from './scratch';
import { isTerminal, type JobContext, type JobHandler, type JobProgress, type JobRecord, type PayloadParsers } from './types';

export interface RunDeps {
  js: JetStreamClient;
  config: ResolvedJobsConfig;
  records: JobRecords;
  checkpoints: Checkpoints;
  events: JobEvents;
  deadLetters: DeadLetters;
  workerId: string;
  logger: JobLogger;
  /** Where jobs keep their scratch blobs and spilled checkpoints (the object store); none: no scratch. */
  scratchStore?: BlobStore;
  /** Payload checks per queue, run before the handler (the registry's schemas). */
  payloadParsers?: PayloadParsers;
}

/** Why a running handler's signal fired. */
export type AbortReason = 'shutdown' | 'cancelled' | 'superseded';

/** Handler errors with these codes will fail the same way again: the job fails at once, without retries. */
const PERMANENT_CODES = new Set(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE']);

const now = () => new Date().toISOString();

/** One delivery of one job message: from claiming the record to ack, nak, term or dead-letter. */
export class JobRun {
  readonly jobId: string;
  /** Resolves when this delivery is fully handled (never rejects). */
  readonly settled: Promise<void>;
  private readonly controller = new AbortController();
  private abortReason?: AbortReason;
  private abandoned = false;
  private finished = false;
  /** Set once the message was acked, naked or termed: no heartbeat may follow. */
  private responded = false;
  /** The record's attempt counter for this delivery: the fencing token of every write. */
  private attempt = 0;
  private latestProgress?: JobProgress;
  private progressWrite?: Promise<void>;
  private readonly scratch: JobScratch;
  /** The blob the stored checkpoint points at, when its state was spilled to the object store. */
  private spilledKey?: string;
  private spills = 0;

  constructor(
    private readonly deps: RunDeps,
    readonly queue: string,
    private readonly handler: JobHandler<unknown, unknown>,
    private readonly msg: JsMsg,
  ) {
    this.jobId = jobIdFromSubject(msg.subject);
    this.scratch = new JobScratch(deps.scratchStore, this.jobId);
    this.settled = this.execute()
      .catch((error) => this.deps.logger.error(`job ${this.jobId}: delivery handling failed`, error))
      .finally(() => {
        this.finished = true;
      });
  }

  abort(reason: AbortReason): void {
    if (this.controller.signal.aborted) return;
    this.abortReason = reason;
    this.controller.abort(new AssayError('UNAVAILABLE', `job ${this.jobId} aborted: ${reason}`, { reason }));
  }

  /** The stop deadline passed: give the message back now and ignore whatever the handler does later. */
  async abandon(): Promise<void> {
    if (this.finished || this.abandoned) return;
    this.abandoned = true;
    this.abort('shutdown');
    await this.requeue();
  }

  private async execute(): Promise<void> {
    const started = await this.deps.records.mutate(this.jobId, (r) => startAttempt(r, this.deps.workerId, now()));
    if (!started) {
      this.deps.logger.warn(`job ${this.jobId}: no record (expired or purged); dropping its message`);
      this.respond('term');
      return;
    }
    if (!started.changed) {
      await this.ack(); // already succeeded, failed, dead or cancelled: never run twice
      return;
    }
    this.attempt = started.record.attempts;
    this.deps.events.status(started.record);

    const parent = this.parentContext(started.record);
    const span = tracer.startSpan(
      `job ${this.queue}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: messagingAttributes(this.msg.subject, 'process', {
          'assay.job.id': this.jobId,
          'assay.job.queue': this.queue,
          'assay.job.attempt': this.attempt,
          'messaging.message.delivery_count': this.msg.info.deliveryCount,
        }),
      },
      parent,
    );
    const heartbeat = setInterval(() => this.heartbeat(), Math.max(250, Math.floor(this.deps.config.ackWaitMs / 3)));
    try {
      const result = await context.with(trace.setSpan(parent, span), () => this.handler(this.jobContext()));
      await this.progressFlushed();
      if (!this.abandoned) await this.complete(result, span);
    } catch (error) {
      await this.progressFlushed();
      if (!this.abandoned) await this.fail(error, span);
    } finally {
      clearInterval(heartbeat);
      span.end();
    }
  }

  private parentContext(record: JobRecord): Context {
    const fromHeaders = extractTraceContext(this.msg.headers, ROOT_CONTEXT);
    return trace.getSpanContext(fromHeaders) ? fromHeaders : contextFromTraceparent(record.traceparent, ROOT_CONTEXT);
  }

  private jobContext(): JobContext<unknown> {
    let payload: unknown;
    try {
      payload = decodeJson(this.msg.data);
    } catch {
      throw new AssayError('BAD_REQUEST', `job ${this.jobId}: payload is not JSON`);
    }
    // Submitters validate too; this catches a payload queued before its schema changed (a permanent failure).
    const parse = this.deps.payloadParsers?.[this.queue];
    if (parse) payload = parse(payload);
    return {
      id: this.jobId,
      queue: this.queue,
      payload,
      attempt: this.attempt,
      signal: this.controller.signal,
      progress: (fraction, message, metrics) => this.progress(fraction, message, metrics),
      checkpoint: (state) => this.saveCheckpoint(state),
      loadCheckpoint: <S>() => this.loadCheckpoint() as Promise<S | undefined>,
      heartbeat: () => this.heartbeat(),
      scratch: this.scratch,
    };
  }

  /**
   * Small states go into the KV checkpoint; larger ones (over checkpointInlineBytes) to a new scratch blob per save,
   * the KV checkpoint pointing at it. The previous blob is deleted only once the new pointer is stored, so whatever
   * crashes in between, the stored checkpoint names a complete state.
   */
  private async saveCheckpoint(state: unknown): Promise<void> {
    this.heartbeat();
    const size = Checkpoints.sizeOf(state);
    let saved: SavedCheckpoint = { state };
    if (size !== undefined && size > this.deps.config.checkpointInlineBytes && this.scratch.available) {
      saved = { stateKey: await this.scratch.putJson(`checkpoint/state-${this.attempt}-${++this.spills}.json`, state) };
    }
    try {
      await this.deps.checkpoints.save(this.jobId, this.attempt, saved);
    } catch (error) {
      if (saved.stateKey) await this.deps.scratchStore!.delete(saved.stateKey).catch(() => undefined);
      if (((error as AssayError).details as { reason?: string } | undefined)?.reason === 'superseded') this.abort('superseded');
      throw error;
    }
    const previous = this.spilledKey;
    this.spilledKey = saved.stateKey;
    if (previous && previous !== saved.stateKey) await this.deps.scratchStore!.delete(previous).catch(() => undefined);
  }

  private async loadCheckpoint(): Promise<unknown> {
    const saved = await this.deps.checkpoints.load(this.jobId);
    if (!saved) return undefined;
    if (saved.stateKey === undefined) return saved.state;
    if (!this.deps.scratchStore) throw new AssayError('INTERNAL', `job ${this.jobId}: its checkpoint is in the object store, and this worker has no scratch store`);
    this.spilledKey = saved.stateKey;
    return JSON.parse((await this.deps.scratchStore.getBuffer(saved.stateKey)).toString('utf8'));
  }

  /** The job ended for good: its blobs are no longer needed. */
  private async discardScratch(): Promise<void> {
    await this.scratch.clear().catch((error) => this.deps.logger.warn(`job ${this.jobId}: scratch blobs not removed`, error));
  }

  private heartbeat(): void {
    if (!this.responded && !this.abandoned) this.msg.working();
  }

  private respond(how: 'term' | 'nak', delayMs?: number): void {
    this.responded = true;
    if (how === 'term') this.msg.term();
    else this.msg.nak(delayMs);
  }

  /** Validates at once (throws), then publishes the live event and coalesces KV writes; the promise never rejects. */
  private progress(fraction: number, message?: string, metrics?: Record<string, number>): Promise<void> {
    if (!(Number.isFinite(fraction) && fraction >= 0 && fraction <= 1)) {
      throw new AssayError('BAD_REQUEST', `progress fraction must be in [0, 1], got ${fraction}`);
    }
    this.heartbeat();
    const progress: JobProgress = { fraction, ...(message !== undefined ? { message } : {}), ...(metrics ? { metrics } : {}) };
    this.deps.events.publish({ type: 'progress', jobId: this.jobId, queue: this.queue, status: 'running', attempts: this.attempt, progress, at: now() });
    this.latestProgress = progress;
    this.progressWrite ??= this.writeProgress();
    return this.progressWrite;
  }

  /** Writes only the newest progress; calls made during a write are folded into the next one. */
  private async writeProgress(): Promise<void> {
    try {
      while (this.latestProgress) {
        const progress = this.latestProgress;
        this.latestProgress = undefined;
        const stored = await this.deps.records.mutate(this.jobId, (r) => withProgress(r, this.attempt, progress, now()));
        if (stored && !stored.changed) this.lostOwnership(stored.record);
      }
    } catch (error) {
      this.deps.logger.warn(`job ${this.jobId}: progress not saved`, error);
    } finally {
      this.progressWrite = undefined;
    }
  }

  private async progressFlushed(): Promise<void> {
    while (this.progressWrite) await this.progressWrite;
  }

  private lostOwnership(record: JobRecord): void {
    if (record.status === 'cancelled') this.abort('cancelled');
    else if (record.attempts > this.attempt) this.abort('superseded');
  }

  private async complete(result: unknown, span: Span): Promise<void> {
    // The checkpoint and scratch blobs go before the result is stored, so whoever sees `succeeded` sees them gone; if
    // storing then fails, the retry starts over (slower, never wrong). Only while this delivery still owns the job.
    const current = await this.deps.records.get(this.jobId);
    if (current && ownsJob(current.record, this.attempt)) {
      await this.deps.checkpoints.remove(this.jobId).catch(() => undefined);
      await this.discardScratch();
    }
    let stored;
    try {
      stored = await this.deps.records.mutate(this.jobId, (r) => succeed(r, this.attempt, result ?? null, now()));
    } catch (error) {
      return this.fail(error, span); // e.g. a result too large for the record
    }
    if (stored?.changed) {
      await this.ack();
      this.deps.events.status(stored.record);
      return;
    }
    // Not ours to store: terminal already (ack is safe), or another delivery owns the job (leave its message alone).
    if (!stored || isTerminal(stored.record.status)) await this.ack();
  }

  private async fail(error: unknown, span: Span): Promise<void> {
    recordSpanError(span, error);
    if (this.abortReason === 'superseded') return;
    const current = await this.deps.records.get(this.jobId);
    if (!current || isTerminal(current.record.status)) {
      await this.discardScratch(); // cancelled while running
      return this.ack();
    }
    if (!ownsJob(current.record, this.attempt)) return; // a newer delivery owns it
    if (this.abortReason === 'shutdown') return this.requeue();

    const err = AssayError.from(error);
    const delivery = this.msg.info.deliveryCount;
    if (PERMANENT_CODES.has(err.code)) {
      await this.endAttempt('failed', err);
      this.respond('term');
      await this.discardScratch();
    } else if (delivery >= this.deps.config.maxDeliver) {
      await this.deps.deadLetters.bury({
        jobId: this.jobId,
        queue: this.queue,
        data: this.msg.data,
        headers: this.msg.headers,
        error: err.toEnvelope(),
        attempt: this.attempt,
      });
      this.respond('term');
    } else {
      await this.endAttempt('queued', err);
      this.respond('nak', retryDelay(this.deps.config, delivery));
    }
  }

  private async endAttempt(status: 'queued' | 'failed', error: AssayError | undefined): Promise<void> {
    const stored = await this.deps.records.mutate(this.jobId, (r) => endAttempt(r, this.attempt, status, error?.toEnvelope(), now()));
    if (stored?.changed) this.deps.events.status(stored.record);
  }

  /** Shutdown: back to `queued` and the message straight back to the stream for another worker. */
  private async requeue(): Promise<void> {
    await this.endAttempt('queued', undefined).catch((error) => this.deps.logger.warn(`job ${this.jobId}: record not requeued`, error));
    this.responded = true;
    await giveBack(this.deps.js, this.msg, this.deps.config.maxDeliver);
  }

  private async ack(): Promise<void> {
    this.responded = true;
    try {
      await this.msg.ackAck();
    } catch (error) {
      this.deps.logger.warn(`job ${this.jobId}: ack not confirmed`, error);
    }
  }
}
