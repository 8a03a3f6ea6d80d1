import type { ErrorEnvelope } from '../errors';

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
 * The typed queue registry. Declare a map from queue name to payload/result types, e.g. in @assay/contracts:
 *
 *   export interface AssayJobQueues {
 *     'guide-training.train': QueueSpec<TrainGuidePayload, TrainGuideResult>;
 *   }
 *   export const GUIDE_TRAINING_QUEUES = ['guide-training.train'] as const;
 *
 * then `new JobsClient<AssayJobQueues>(...)`, `new JobWorker<AssayJobQueues>(..., { queues: GUIDE_TRAINING_QUEUES })`.
 */
export interface QueueSpec<P = unknown, R = unknown> {
  payload: P;
  result: R;
}
/** Constraint of a queue registry: `Q extends QueueMap<Q>`. */
export type QueueMap<Q> = { [K in keyof Q]: QueueSpec };
/** The untyped registry: any queue name, payload and result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQueues = Record<string, QueueSpec<any, any>>;
export type QueueName<Q> = keyof Q & string;
export type PayloadOf<Q, K extends keyof Q> = Q[K] extends QueueSpec<infer P, unknown> ? P : never;
export type ResultOf<Q, K extends keyof Q> = Q[K] extends QueueSpec<unknown, infer R> ? R : never;

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
  /** Saves JSON state durably (KV). Over ~800 KB is refused: put big state in the object store and checkpoint its key. */
  checkpoint(state: unknown): Promise<void>;
  /** The last checkpoint of this job (from any earlier attempt), or undefined. */
  loadCheckpoint<S = unknown>(): Promise<S | undefined>;
  /** Resets the ack timer by hand (progress() and an automatic timer do it already). */
  heartbeat(): void;
}

export type JobHandler<P = unknown, R = unknown> = (job: JobContext<P>) => Promise<R>;
