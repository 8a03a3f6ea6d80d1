import { resolveJobsConfig, retryDelay } from './config';

describe('jobs config', () => {
  it('defaults to the assay namespace, 30 s ack wait, 5 deliveries', () => {
    expect(resolveJobsConfig()).toMatchObject({ namespace: 'assay', ackWaitMs: 30_000, maxDeliver: 5, checkpointMaxBytes: 800 * 1024 });
  });

  it('refuses namespaces that would break stream or subject names, and nonsense limits', () => {
    expect(() => resolveJobsConfig({ namespace: 'a.b' })).toThrow(/namespace/);
    expect(() => resolveJobsConfig({ namespace: 'A' })).toThrow(/namespace/);
    expect(() => resolveJobsConfig({ ackWaitMs: 10 })).toThrow(/ackWaitMs/);
    expect(() => resolveJobsConfig({ maxDeliver: 0 })).toThrow(/maxDeliver/);
  });

  it('doubles the retry delay per attempt up to a minute', () => {
    expect([1, 2, 3].map((a) => retryDelay({ retryDelayMs: 1_000 }, a))).toEqual([1_000, 2_000, 4_000]);
    expect(retryDelay({ retryDelayMs: 1_000 }, 20)).toBe(60_000);
  });
});
