import type { ErrorEnvelope } from '../errors';
import type { JobScratch } from './scratch';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'] as const;
/**
 * queued: waiting for a worker (also between retries); running: a worker holds it;
 * succeeded: result stored; failed: permanent error (BAD_REQUEST / PAYLOAD_TOO_LARGE), not retried;
 * dead: every delivery failed or timed out (dead-lettered); cancelled: by JobsClient.cancel.
 */
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'dead', 'cancelled'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface JobProgress {
  /** 0..1 */
  fraction: number;
  message?: string;
  metrics?: Record<string, number>;
}

/** The job record kept in the KV bucket `<ns>_jobs` under the job id: the single source of truth for status. */
export interface JobRecord<R = unknown> {
  id: string;
  queue: string;
  status: JobStatus;
  /** Deliveries so far (1 on the first run). */
  attempts: number;
  progress: JobProgress;
  result?: R;
  /** Last error: the failure of a retried attempt, or the final one. */
  error?: ErrorEnvelope;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Worker holding (or last holding) the job. */
  worker?: string;
  clientKey?: string;
  /** The submitter's W3C trace context; job spans join that trace. */
  traceparent?: string;
}

/** Live events on `<ns>.events.jobs.<id>` (core NATS, Nest event format); the KV record holds the latest state. */
export interface JobEvent {
  type: 'status' | 'progress';
  jobId: string;
  queue: string;
  status: JobStatus;
  attempts: number;
  progress: JobProgress;
  error?: ErrorEnvelope;
  at: string;
}

/** Fact event on `<ns>.events.jobs.completed` when a job reaches a terminal status. Fetch the result with JobsClient.result. */
export interface JobCompletedEvent {
  jobId: string;
  queue: string;
  status: JobStatus;
  attempts: number;
  error?: ErrorEnvelope;
  finishedAt: string;
}

/**
 * The typed queue registry: a map from queue name to payload/result types. Assay's is derived from the contract
 * registry (`AssayJobQueues` in @assay/contracts, used by AssayJobsClient); tests declare their own:
 *
 *   interface DemoQueues { 'demo.square': QueueSpec<{ x: number }, number> }
 *   new JobsClient<DemoQueues>(...), new JobWorker<DemoQueues>(..., { queues: ['demo.square'] })
 *
 * `input` is what a submitter may send when it differs from what the handler receives (schema defaults).
 */
export interface QueueSpec<P = unknown, R = unknown, I = P> {
  payload: P;
  result: R;
  input: I;
}
/** Constraint of a queue registry: `Q extends QueueMap<Q>`. */
export type QueueMap<Q> = { [K in keyof Q]: QueueSpec };
/** The untyped registry: any queue name, payload and result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQueues = Record<string, QueueSpec<any, any>>;
export type QueueName<Q> = keyof Q & string;
export type PayloadOf<Q, K extends keyof Q> = Q[K] extends { payload: infer P } ? P : never;
export type PayloadInputOf<Q, K extends keyof Q> = Q[K] extends { input: infer I } ? I : never;
export type ResultOf<Q, K extends keyof Q> = Q[K] extends { result: infer R } ? R : never;

/** Runtime checks of payloads, per queue (e.g. the registry's zod schemas): `parse` throws BAD_REQUEST or returns the payload to use. */
export type PayloadParsers = Record<string, (payload: unknown) => unknown>;

/** What a handler gets for one delivery of a job. */
export interface JobContext<P = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly payload: P;
  /** 1 on the first delivery. */
  readonly attempt: number;
  /** Fired on worker shutdown, cancellation, or when another worker took the job over; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** Reports progress (live event + KV record) and heartbeats the message. */
  progress(fraction: number, message?: string, metrics?: Record<string, number>): Promise<void>;
  /**
   * Saves JSON state durably (KV). State over `checkpointInlineBytes` goes to the object store under the job's
   * scratch prefix (the KV checkpoint keeps a pointer) when the worker has a scratch store; otherwise over ~800 KB
   * is refused.
   */
  checkpoint(state: unknown): Promise<void>;
  /** The last checkpoint of this job (from any earlier attempt), or undefined. */
  loadCheckpoint<S = unknown>(): Promise<S | undefined>;
  /** Resets the ack timer by hand (progress() and an automatic timer do it already). */
  heartbeat(): void;
  /** Blobs of this job under `jobs/<jobId>/` in the object store, removed when the job ends (see JobScratch). */
  readonly scratch: JobScratch;
}

export type JobHandler<P = unknown, R = unknown> = (job: JobContext<P>) => Promise<R>;
