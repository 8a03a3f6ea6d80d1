import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type JsMsg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { decodeJson } from '../codec';
import type { ErrorEnvelope } from '../errors';
import type { ResolvedJobsConfig } from './config';
import type { JobEvents } from './events';
import type { JobRecords } from './job-records';
import { dlqSubject, jobIdFromSubject, type JobNames } from './names';
import { endAttempt } from './record';

export const JOB_ID_HEADER = 'Assay-Job-Id';
export const QUEUE_HEADER = 'Assay-Queue';

export interface JobLogger {
  warn(message: string, ...context: unknown[]): void;
  error(message: string, ...context: unknown[]): void;
}

export interface BuryRequest {
  jobId: string;
  queue: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  error: ErrorEnvelope;
  /** The attempt that failed; undefined when no worker reported (all deliveries timed out). */
  attempt?: number;
}

/**
 * Dead jobs: the record becomes `dead` with the error, and the payload goes to the DLQ stream
 * (`<ns>.dlq.jobs.<queue>`, headers Assay-Job-Id / Assay-Queue / Assay-Error) for inspection and replay.
 */
export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: JobNames,
    private readonly records: JobRecords,
    private readonly events: JobEvents,
    private readonly logger: JobLogger,
  ) {}

  async bury(request: BuryRequest): Promise<void> {
    const headers = natsHeaders();
    const traceparent = request.headers?.get('traceparent');
    if (traceparent) headers.set('traceparent', traceparent);
    headers.set(JOB_ID_HEADER, request.jobId);
    headers.set(QUEUE_HEADER, request.queue);
    headers.set('Assay-Error', JSON.stringify(request.error));
    await this.js.publish(dlqSubject(this.names, request.queue), request.data, { headers, msgID: `${request.jobId}.dead` });
    const attempt = request.attempt ?? Number.MAX_SAFE_INTEGER;
    const stored = await this.records.mutate(request.jobId, (r) => endAttempt(r, attempt, 'dead', request.error, new Date().toISOString()));
    if (stored?.changed) this.events.status(stored.record);
  }

  /**
   * A worker killed (or stuck) on a job's last allowed delivery never fails it: the server just stops
   * redelivering and leaves the message in the stream. Its MAX_DELIVERIES advisory is our cue to bury the job.
   * Workers share the advisory through a queue group; burying twice is harmless (msgID dedupe, CAS on the record).
   */
  listenForExhaustedJobs(nc: NatsConnection, config: ResolvedJobsConfig): Subscription {
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.names.stream}.*`;
    return nc.subscribe(subject, {
      queue: `${this.names.namespace}.jobs.dead-letters`,
      callback: (err, msg) => {
        if (err) return;
        const advisory = decodeJson<{ stream_seq: number; deliveries: number }>(msg.data);
        this.buryExhausted(advisory.stream_seq, advisory.deliveries, config).catch((error) =>
          this.logger.error(`dead-lettering stream message ${advisory.stream_seq} failed`, error),
        );
      },
    });
  }

  private async buryExhausted(seq: number, deliveries: number, config: ResolvedJobsConfig): Promise<void> {
    let stored;
    try {
      stored = await this.jsm.streams.getMessage(this.names.stream, { seq });
    } catch {
      return; // acked or buried meanwhile
    }
    const jobId = stored.header?.get(JOB_ID_HEADER) || jobIdFromSubject(stored.subject);
    const queue = stored.header?.get(QUEUE_HEADER) || stored.subject.slice(this.names.jobsSubjectRoot.length + 1, -jobId.length - 1);
    await this.bury({
      jobId,
      queue,
      data: stored.data,
      headers: stored.header,
      error: {
        code: 'TIMEOUT',
        message: `job ${jobId} was not finished in any of ${deliveries} deliveries (no ack within ${config.ackWaitMs} ms: worker killed or its event loop blocked)`,
        details: { deliveries, ackWaitMs: config.ackWaitMs },
      },
    });
    await this.jsm.streams.deleteMessage(this.names.stream, seq, false);
  }
}

/**
 * Hands a message back for another worker at once. A nak on the last allowed delivery would strand the message
 * (the server stops redelivering and sends no advisory), so then a fresh copy is queued and the old one acked.
 */
export async function giveBack(js: JetStreamClient, msg: JsMsg, maxDeliver: number): Promise<void> {
  if (msg.info.deliveryCount < maxDeliver) {
    msg.nak();
    return;
  }
  await js.publish(msg.subject, msg.data, { headers: msg.headers, msgID: `${jobIdFromSubject(msg.subject)}.requeue.${msg.seq}` });
  msg.ack();
}
