import { PlatformHarness } from '@assay/testing';
import { AssayError, JobsClient, JobStages, JobWorker, type JobContext, type JobsConfig, type QueueSpec } from '../src';
import { waitFor } from './support/nats';

interface ScratchQueues {
  'scratch.stages': QueueSpec<{ failAfter: number }, { squares: number[]; doubled: number[]; fixedAt: number }>;
  'scratch.spill': QueueSpec<{ crash: boolean; rows: number }, { rows: number; resumedFrom: number | null }>;
  'scratch.refused': QueueSpec<{ n: number }, never>;
}

/**
 * The one job scratch store (blobs under `jobs/<jobId>/` in the object store, pointers in the job's checkpoint), with
 * a real nats-server (JetStream KV, redelivery) and a real S3 server: batches done survive a crash, a checkpoint too
 * large for the KV bucket moves to a blob, superseded blobs go, and the prefix is empty once the job has ended.
 */
describe('job scratch store (real JetStream and S3 server)', () => {
  const harness = new PlatformHarness('job-scratch');
  let jobs: JobsClient<ScratchQueues>;
  let worker: JobWorker<ScratchQueues>;
  let config: JobsConfig;
  const calls: Array<{ attempt: number; stage: string; batch: number }> = [];
  const spilledKeys: Array<string | undefined> = [];

  const blobs = async (jobId: string) => (await harness.store.list(`jobs/${jobId}/`, { recursive: true })).objects.map((o) => o.key).sort();

  beforeAll(async () => {
    await harness.start();
    config = { namespace: harness.namespace, retryDelayMs: 100, checkpointInlineBytes: 1_000 };
    jobs = await JobsClient.create(harness.nc, config);
    worker = new JobWorker(harness.nc, config, { queues: ['scratch.stages', 'scratch.spill', 'scratch.refused'], scratchStore: harness.store, pullExpiresMs: 1_000 });
    worker.register('scratch.stages', async (job) => {
      const stages = await JobStages.open(job);
      const fixedAt = await stages.fixed('firstAttempt', async () => job.attempt);
      const batches = [[1, 2], [3, 4], [5]];
      stages.plan(batches.length + 1);
      const squares = await stages.run('squares', batches, async (batch, index) => {
        calls.push({ attempt: job.attempt, stage: 'squares', batch: index });
        if (job.attempt === 1 && calls.length > job.payload.failAfter) throw AssayError.unavailable('worker lost its model server');
        return batch.map((x) => x * x);
      });
      const doubled = await stages.run('doubled', [squares], async (batch, index) => {
        calls.push({ attempt: job.attempt, stage: 'doubled', batch: index });
        return batch.map((x) => 2 * x);
      });
      return { squares, doubled, fixedAt };
    });
    worker.register('scratch.spill', async (job: JobContext<{ crash: boolean; rows: number }>) => {
      const saved = await job.loadCheckpoint<{ rows: number[][] }>();
      const state = saved ?? { rows: [] };
      const resumedFrom = saved ? saved.rows.length : null;
      while (state.rows.length < job.payload.rows) {
        state.rows.push(Array.from({ length: 100 }, (_, i) => state.rows.length * 100_000 + i));
        await job.checkpoint(state);
        spilledKeys.push((await blobs(job.id)).find((k) => k.includes('/checkpoint/')));
        if (job.payload.crash && job.attempt === 1 && state.rows.length === 2) throw AssayError.unavailable('worker crashed after two rows');
      }
      await job.scratch.putJson('extra/note.json', { rows: state.rows.length });
      return { rows: state.rows.length, resumedFrom };
    });
    worker.register('scratch.refused', async (job) => {
      await job.scratch.put('partial.bin', new Uint8Array([1, 2, 3]));
      throw AssayError.badRequest('this input can never work');
    });
    await worker.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop({ graceMs: 0 });
    await harness.close();
  });

  it('JobStages resumes after the last finished batch, with outputs and fixed values from the first attempt', async () => {
    const { jobId } = await jobs.submit('scratch.stages', { failAfter: 2 });
    const result = await jobs.result<ScratchQueues['scratch.stages']['result']>(jobId, { waitMs: 30_000 });
    expect(result).toEqual({ squares: [1, 4, 9, 16, 25], doubled: [2, 8, 18, 32, 50], fixedAt: 1 });
    // Attempt 1 finished batches 0 and 1 and failed in batch 2; attempt 2 redid only batch 2, then the next stage.
    expect(calls).toEqual([
      { attempt: 1, stage: 'squares', batch: 0 },
      { attempt: 1, stage: 'squares', batch: 1 },
      { attempt: 1, stage: 'squares', batch: 2 },
      { attempt: 2, stage: 'squares', batch: 2 },
      { attempt: 2, stage: 'doubled', batch: 0 },
    ]);
    expect(await jobs.status(jobId)).toMatchObject({ status: 'succeeded', attempts: 2, progress: { fraction: 1 } });
    expect(await blobs(jobId)).toEqual([]);
  });

  it('moves a checkpoint over the inline limit to a scratch blob, resumes from it, deletes superseded blobs, and clears them at the end', async () => {
    spilledKeys.length = 0;
    const { jobId } = await jobs.submit('scratch.spill', { crash: true, rows: 3 });
    const result = await jobs.result<ScratchQueues['scratch.spill']['result']>(jobId, { waitMs: 30_000 });
    expect(result).toEqual({ rows: 3, resumedFrom: 2 });
    // One row (~700 bytes of JSON) stays inline; two and three rows are over 1000 bytes: one blob per save, the
    // previous one deleted once the new pointer is stored, so after each save exactly the newest blob exists.
    expect(spilledKeys).toEqual([undefined, `jobs/${jobId}/checkpoint/state-1-1.json`, `jobs/${jobId}/checkpoint/state-2-1.json`]);
    expect(await blobs(jobId)).toEqual([]);
  });

  it('keeps a small checkpoint inside the job record and writes no blob for it', async () => {
    spilledKeys.length = 0;
    const { jobId } = await jobs.submit('scratch.spill', { crash: false, rows: 1 });
    expect(await jobs.result(jobId, { waitMs: 30_000 })).toEqual({ rows: 1, resumedFrom: null });
    expect(spilledKeys).toEqual([undefined]);
  });

  it('removes the blobs of a job that failed for good', async () => {
    const { jobId } = await jobs.submit('scratch.refused', { n: 1 });
    await waitFor(async () => ((await jobs.status(jobId)).status === 'failed' ? true : undefined), 20_000, 'the job to fail');
    await waitFor(async () => ((await blobs(jobId)).length === 0 ? true : undefined), 5_000, 'the blobs to go');
  });
});
