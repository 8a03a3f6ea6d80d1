import type { NatsConnection } from 'nats';
import { AssayError, parseOrThrow, QUEUE_CONTRACTS, type AssayJobQueues, type JobAccepted, type JobQueue, type JobResult, type QueueContract } from '@assay/contracts';
import type { JobsConfig } from './config';
import { JobsClient } from './jobs-client';
import type { JobRecord, PayloadInputOf, PayloadParsers } from './types';

export type JobStatusView<R> = Pick<JobRecord<R>, 'id' | 'queue' | 'status' | 'attempts' | 'progress' | 'result' | 'error' | 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt'>;

/** The registry's payload schemas as job payload parsers: BAD_REQUEST naming the queue and the field. */
export function registryPayloadParsers(): PayloadParsers {
  const contracts: Record<string, QueueContract> = QUEUE_CONTRACTS;
  return Object.fromEntries(Object.entries(contracts).map(([queue, contract]) => [queue, (payload: unknown) => parseOrThrow(contract.payload, payload, `payload for job queue ${queue}`)]));
}

/**
 * The jobs client of the platform: typed by the contract registry (a payload of the wrong shape or a queue that does not
 * exist is a compile error) and checked at run time by the registry's schemas at submit, so a bad payload is refused
 * with BAD_REQUEST before anything is queued.
 */
export class AssayJobsClient extends JobsClient<AssayJobQueues> {
  constructor(nc: NatsConnection, config: JobsConfig = {}) {
    super(nc, config, { parsers: registryPayloadParsers() });
  }

  static async connect(nc: NatsConnection, config: JobsConfig = {}): Promise<AssayJobsClient> {
    const client = new AssayJobsClient(nc, config);
    await client.ready();
    return client;
  }

  /** Submits and answers as the submit subjects and routes do: the job id, its status, and where to follow it. */
  async accept<Q extends JobQueue>(queue: Q, payload: PayloadInputOf<AssayJobQueues, Q>, options: { clientKey?: string; statusUrl: (jobId: string) => string }): Promise<JobAccepted & { created: boolean }> {
    const { jobId, created } = await this.submit(queue, payload, { clientKey: options.clientKey });
    const status = created ? 'queued' : (await this.status(jobId)).status;
    return { jobId, status, statusUrl: options.statusUrl(jobId), created };
  }

  /**
   * A job of `queue` as the status routes show it (the documented fields of its record: no worker, client key or
   * trace context); NOT_FOUND when unknown or of another queue.
   */
  async statusIn<Q extends JobQueue>(queue: Q, jobId: string): Promise<JobStatusView<JobResult<Q>>> {
    const record = await this.status(jobId);
    if (record.queue !== queue) throw AssayError.notFound(`no ${queue} job ${jobId}`, { jobId, queue });
    const { id, status, attempts, progress, result, error, createdAt, updatedAt, startedAt, finishedAt } = record as JobRecord<JobResult<Q>>;
    return { id, queue: record.queue, status, attempts, progress, result, error, createdAt, updatedAt, startedAt, finishedAt };
  }
}
