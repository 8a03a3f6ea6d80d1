import type { ErrorEnvelope } from '../errors';
import { isTerminal, type JobCompletedEvent, type JobEvent, type JobProgress, type JobRecord, type JobStatus } from './types';

/** Pure transitions of a job record. Each returns undefined when the record must not change. */

export function newRecord(id: string, queue: string, now: string, extra: { clientKey?: string; traceparent?: string }): JobRecord {
  return {
    id,
    queue,
    status: 'queued',
    attempts: 0,
    progress: { fraction: 0 },
    createdAt: now,
    updatedAt: now,
    ...(extra.clientKey !== undefined ? { clientKey: extra.clientKey } : {}),
    ...(extra.traceparent !== undefined ? { traceparent: extra.traceparent } : {}),
  };
}

/**
 * A delivery starts: a terminal job is never run again. The new `attempts` value is the delivery's fencing
 * token: a worker whose message timed out and was redelivered elsewhere no longer owns the job.
 */
export function startAttempt(record: JobRecord, worker: string, now: string): JobRecord | undefined {
  if (isTerminal(record.status)) return undefined;
  return {
    ...record,
    status: 'running',
    attempts: record.attempts + 1,
    worker,
    startedAt: record.startedAt ?? now,
    updatedAt: now,
  };
}

/** Whether the delivery `attempt` still owns the job (no later delivery started, nothing terminal). */
export function ownsJob(record: JobRecord, attempt: number): boolean {
  return record.status === 'running' && record.attempts === attempt;
}

export function withProgress(record: JobRecord, attempt: number, progress: JobProgress, now: string): JobRecord | undefined {
  if (!ownsJob(record, attempt)) return undefined;
  return { ...record, progress, updatedAt: now };
}

/** Stores the result once: only the delivery that owns a running job can. */
export function succeed(record: JobRecord, attempt: number, result: unknown, now: string): JobRecord | undefined {
  if (!ownsJob(record, attempt)) return undefined;
  const { error: _lastError, ...rest } = record;
  return { ...rest, status: 'succeeded', result, progress: { ...record.progress, fraction: 1 }, updatedAt: now, finishedAt: now };
}

/** Ends or pauses the attempt: `queued` to retry, `failed`/`dead` for good. */
export function endAttempt(
  record: JobRecord,
  attempt: number,
  status: Extract<JobStatus, 'queued' | 'failed' | 'dead'>,
  error: ErrorEnvelope | undefined,
  now: string,
): JobRecord | undefined {
  if (isTerminal(record.status) || record.attempts > attempt) return undefined;
  const next: JobRecord = { ...record, status, updatedAt: now };
  if (error) next.error = error;
  if (status !== 'queued') next.finishedAt = now;
  return next;
}

export function cancel(record: JobRecord, now: string): JobRecord | undefined {
  if (isTerminal(record.status)) return undefined;
  return { ...record, status: 'cancelled', updatedAt: now, finishedAt: now };
}

export function statusEvent(record: JobRecord, type: JobEvent['type'] = 'status'): JobEvent {
  return {
    type,
    jobId: record.id,
    queue: record.queue,
    status: record.status,
    attempts: record.attempts,
    progress: record.progress,
    ...(record.error ? { error: record.error } : {}),
    at: record.updatedAt,
  };
}

export function completedEvent(record: JobRecord): JobCompletedEvent {
  return {
    jobId: record.id,
    queue: record.queue,
    status: record.status,
    attempts: record.attempts,
    ...(record.error ? { error: record.error } : {}),
    finishedAt: record.finishedAt ?? record.updatedAt,
  };
}
