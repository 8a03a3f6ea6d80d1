export interface JobsConfig {
  /**
   * Prefix of every stream, bucket and subject (default `assay`): stream `ASSAY_JOBS` on `assay.jobs.>`, buckets
   * `assay_jobs` and `assay_job_checkpoints`. Tests use a unique namespace so they never meet a running platform.
   */
  namespace?: string;
  /** Redelivery timer of a job message; handlers heartbeat (`working()`) every third of it. Default 30 s. */
  ackWaitMs?: number;
  /** Deliveries before a job is dead-lettered. Default 5. */
  maxDeliver?: number;
  /** Delay before retrying a failed attempt, doubled per attempt, capped at 60 s. Default 1 s. */
  retryDelayMs?: number;
  /** JetStream msgID dedupe window of the jobs stream. Default 10 min. */
  duplicateWindowMs?: number;
  /** How long job records and checkpoints live (KV TTL). Default 30 days. */
  recordTtlMs?: number;
  /** Largest checkpoint state kept in the KV bucket, as JSON bytes. Default 800 KiB (NATS max_payload is 1 MiB). */
  checkpointMaxBytes?: number;
  /**
   * States larger than this (JSON bytes) are written to the job's scratch blobs in the object store, the KV checkpoint
   * keeping a pointer, when the worker has a scratch store. Default 256 KiB.
   */
  checkpointInlineBytes?: number;
  /** JetStream replicas of streams and buckets (1 locally, 3 in a cluster). */
  replicas?: number;
}

export type ResolvedJobsConfig = Required<JobsConfig>;

const DAY_MS = 24 * 3600 * 1000;

export function resolveJobsConfig(config: JobsConfig = {}): ResolvedJobsConfig {
  const resolved: ResolvedJobsConfig = {
    namespace: config.namespace ?? 'assay',
    ackWaitMs: config.ackWaitMs ?? 30_000,
    maxDeliver: config.maxDeliver ?? 5,
    retryDelayMs: config.retryDelayMs ?? 1_000,
    duplicateWindowMs: config.duplicateWindowMs ?? 10 * 60_000,
    recordTtlMs: config.recordTtlMs ?? 30 * DAY_MS,
    checkpointMaxBytes: config.checkpointMaxBytes ?? 800 * 1024,
    checkpointInlineBytes: config.checkpointInlineBytes ?? 256 * 1024,
    replicas: config.replicas ?? 1,
  };
  if (!/^[a-z][a-z0-9_]*$/.test(resolved.namespace)) {
    throw new Error(`jobs namespace must match [a-z][a-z0-9_]*, got "${resolved.namespace}"`);
  }
  if (!(resolved.ackWaitMs >= 1_000)) throw new Error(`ackWaitMs must be at least 1000, got ${resolved.ackWaitMs}`);
  if (!(Number.isInteger(resolved.maxDeliver) && resolved.maxDeliver >= 1)) {
    throw new Error(`maxDeliver must be a positive integer, got ${resolved.maxDeliver}`);
  }
  return resolved;
}

/** Nak delay after attempt `attempt` failed: retryDelayMs × 2^(attempt-1), at most 60 s. */
export function retryDelay(config: Pick<ResolvedJobsConfig, 'retryDelayMs'>, attempt: number): number {
  return Math.min(60_000, config.retryDelayMs * 2 ** Math.max(0, attempt - 1));
}
