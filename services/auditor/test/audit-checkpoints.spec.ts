import { AssayError, JOB_QUEUES } from '@assay/contracts';
import { JobsClient, JobWorker } from '@assay/messaging';
import { Rng, WealthPoint } from '@assay/stats';
import { PlatformHarness } from '@assay/testing';
import { AuditCheckpoints } from '../src/audit-checkpoints';
import { AuditLedger } from '../src/audit-ledger';
import { AuditStore } from '../src/audit-store';

const request = { test: 'witness' as const, alpha: 0.05, epsilon: 0 };
const rng = new Rng('checkpoints');
const batches = Array.from({ length: 3 }, () => ({
  reference: Array.from({ length: 25 }, () => rng.beta(1, 6)),
  candidate: Array.from({ length: 25 }, () => rng.beta(1.3, 6)),
}));

/** Real JetStream jobs (KV checkpoints, redelivery) and the real S3 server; the handler plays a worker that crashes once. */
describe('audit checkpoints across deliveries', () => {
  const harness = new PlatformHarness('audit-checkpoints');
  let jobs: JobsClient;
  let worker: JobWorker;
  const handlers: Array<(job: any) => Promise<unknown>> = [];

  beforeAll(async () => {
    await harness.start();
    const config = { namespace: harness.namespace, retryDelayMs: 100 };
    jobs = await JobsClient.create(harness.nc, config);
    worker = new JobWorker(harness.nc, config, { queues: [JOB_QUEUES.auditorAudit], pullExpiresMs: 1000 });
    worker.register(JOB_QUEUES.auditorAudit, (job) => handlers.shift()!(job));
    await worker.start();
  }, 60_000);
  afterAll(async () => {
    await worker.stop();
    await harness.close();
  });

  async function crashThenResume(checkpoints: AuditCheckpoints) {
    const savedKeys: Array<string | undefined> = [];
    handlers.push(async (job) => {
      const { ledger, resumed } = await checkpoints.restore(job, request);
      expect(resumed).toBe(false);
      let key: string | undefined;
      for (const batch of batches.slice(0, 2)) {
        ledger.record(batch.reference, batch.candidate);
        key = await checkpoints.save(job, ledger, key);
        savedKeys.push(key);
      }
      throw AssayError.unavailable('worker crashed after two batches');
    });
    handlers.push(async (job) => {
      const { ledger, resumed, stateKey } = await checkpoints.restore(job, request);
      expect(resumed).toBe(true);
      ledger.record(batches[2].reference, batches[2].candidate);
      return { history: ledger.test.history, resumedAt: ledger.resumedAt, nextIndex: ledger.nextIndex, stateKey };
    });
    const { jobId } = await jobs.submit(JOB_QUEUES.auditorAudit, {});
    const result = await jobs.result<{ history: WealthPoint[]; resumedAt: number[]; nextIndex: number; stateKey?: string }>(jobId, { waitMs: 30_000 });
    const straight = AuditLedger.start(request);
    for (const batch of batches) straight.record(batch.reference, batch.candidate);
    expect(result.history).toEqual(straight.test.history);
    expect(result.resumedAt).toEqual([50]);
    expect(result.nextIndex).toBe(75);
    return { jobId, savedKeys, result };
  }

  it('moves a large test state to the object store, resumes from it, and deletes superseded states', async () => {
    const checkpoints = new AuditCheckpoints(new AuditStore(harness.store)).withInlineLimit(1000);
    const { jobId, savedKeys, result } = await crashThenResume(checkpoints);
    expect(savedKeys).toEqual([`reports/audits/${jobId}/checkpoint/test-state-25.json`, `reports/audits/${jobId}/checkpoint/test-state-50.json`]);
    expect(result.stateKey).toBe(savedKeys[1]);
    const stored = await harness.store.list(`reports/audits/${jobId}/checkpoint/`, { recursive: true });
    expect(stored.objects.map((o) => o.key)).toEqual([savedKeys[1]]);
    await checkpoints.discard(result.stateKey);
    expect(await harness.store.exists(savedKeys[1]!)).toBe(false);
  });

  it('keeps a small test state inside the job checkpoint', async () => {
    const { jobId, savedKeys, result } = await crashThenResume(new AuditCheckpoints(new AuditStore(harness.store)));
    expect(savedKeys).toEqual([undefined, undefined]);
    expect(result.stateKey).toBeUndefined();
    expect((await harness.store.list(`reports/audits/${jobId}/`, { recursive: true })).objects).toEqual([]);
  });
});
