import { cancel, completedEvent, endAttempt, newRecord, ownsJob, startAttempt, succeed, withProgress } from './record';
import { isTerminal, type JobRecord } from './types';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T00:00:01.000Z';

describe('job record transitions', () => {
  const queued = newRecord('j1', 'q.a', T0, { clientKey: 'k', traceparent: 'tp' });

  it('starts queued with no attempts', () => {
    expect(queued).toEqual({ id: 'j1', queue: 'q.a', status: 'queued', attempts: 0, progress: { fraction: 0 }, createdAt: T0, updatedAt: T0, clientKey: 'k', traceparent: 'tp' });
    expect(newRecord('j2', 'q', T0, {})).not.toHaveProperty('clientKey');
  });

  it('numbers attempts; the newest attempt owns the job', () => {
    const first = startAttempt(queued, 'w1', T1)!;
    expect(first).toMatchObject({ status: 'running', attempts: 1, worker: 'w1', startedAt: T1 });
    const second = startAttempt(first, 'w2', T1)!; // redelivery after w1 vanished
    expect(second.attempts).toBe(2);
    expect(ownsJob(second, 2)).toBe(true);
    expect(ownsJob(second, 1)).toBe(false);
    expect(withProgress(second, 1, { fraction: 0.5 }, T1)).toBeUndefined();
    expect(withProgress(second, 2, { fraction: 0.5 }, T1)!.progress).toEqual({ fraction: 0.5 });
    expect(succeed(second, 1, 'stale', T1)).toBeUndefined();
    expect(endAttempt(second, 1, 'queued', undefined, T1)).toBeUndefined();
  });

  it('stores one result, once', () => {
    const running = startAttempt(endAttempt(startAttempt(queued, 'w', T0)!, 1, 'queued', { code: 'INTERNAL', message: 'x', details: {} }, T0)!, 'w', T1)!;
    const done = succeed(running, 2, { ok: true }, T1)!;
    expect(done).toMatchObject({ status: 'succeeded', result: { ok: true }, finishedAt: T1, progress: { fraction: 1 } });
    expect(done).not.toHaveProperty('error');
    expect(succeed(done, 2, { ok: false }, T1)).toBeUndefined();
    expect(startAttempt(done, 'w', T1)).toBeUndefined();
    expect(cancel(done, T1)).toBeUndefined();
  });

  it('ends attempts as retry, failure or dead letter', () => {
    const running = startAttempt(queued, 'w', T0)!;
    const error = { code: 'INTERNAL' as const, message: 'boom', details: {} };
    expect(endAttempt(running, 1, 'queued', error, T1)).toMatchObject({ status: 'queued', error });
    expect(endAttempt(running, 1, 'queued', error, T1)).not.toHaveProperty('finishedAt');
    expect(endAttempt(running, 1, 'dead', error, T1)).toMatchObject({ status: 'dead', finishedAt: T1 });
    expect(endAttempt(running, Number.MAX_SAFE_INTEGER, 'dead', error, T1)!.status).toBe('dead');
    const failed = endAttempt(running, 1, 'failed', error, T1)!;
    expect(endAttempt(failed, 1, 'dead', error, T1)).toBeUndefined();
  });

  it('cancels only unfinished jobs', () => {
    expect(cancel(queued, T1)).toMatchObject({ status: 'cancelled', finishedAt: T1 });
    expect(cancel(startAttempt(queued, 'w', T0)!, T1)!.status).toBe('cancelled');
    const cancelled = cancel(queued, T1)!;
    expect(startAttempt(cancelled, 'w', T1)).toBeUndefined();
    expect(completedEvent(cancelled)).toEqual({ jobId: 'j1', queue: 'q.a', status: 'cancelled', attempts: 0, finishedAt: T1 });
  });

  it('knows the terminal statuses', () => {
    const statuses: JobRecord['status'][] = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];
    expect(statuses.filter(isTerminal)).toEqual(['succeeded', 'failed', 'dead', 'cancelled']);
  });
});
