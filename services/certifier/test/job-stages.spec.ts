import { AssayError } from '@assay/contracts';
import { JobContext, JobsClient, JobWorker } from '@assay/messaging';
import { PlatformHarness } from '@assay/testing';
import { JobStages } from '../src/job-stages';

/**
 * The evaluation and benchmark jobs' durability: per-batch outputs in the object store, the count of finished
 * batches in the job's checkpoint. A delivery that dies mid-job is retried and redoes only the unfinished batches.
 */
describe('JobStages (real JetStream jobs and S3 server)', () => {
  const harness = new PlatformHarness('job-stages');
  let jobs: JobsClient;
  let worker: JobWorker;
  const calls: Array<{ attempt: number; stage: string; batch: number }> = [];

  beforeAll(async () => {
    await harness.start();
    const config = { namespace: harness.namespace, retryDelayMs: 100 };
    jobs = await JobsClient.create(harness.nc, config);
    worker = new JobWorker(harness.nc, config, { queues: ['certifier.stages-test'] });
    worker.register('certifier.stages-test', async (job: JobContext<{ failAfter: number }>) => {
      const stages = await JobStages.open(job, harness.store);
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
      await stages.clear();
      return { squares, doubled, fixedAt };
    });
    await worker.start();
  }, 60_000);
  afterAll(async () => {
    await worker?.stop({ graceMs: 0 });
    await harness.close();
  });

  it('resumes after the last finished batch, with outputs and fixed values from the first attempt', async () => {
    const { jobId } = await jobs.submit('certifier.stages-test', { failAfter: 2 });
    const result = await jobs.result<{ squares: number[]; doubled: number[]; fixedAt: number }>(jobId, { waitMs: 30_000 });
    expect(result).toEqual({ squares: [1, 4, 9, 16, 25], doubled: [2, 8, 18, 32, 50], fixedAt: 1 });
    // Attempt 1 finished batches 0 and 1, failed in batch 2; attempt 2 redid only batch 2, then the next stage.
    expect(calls).toEqual([
      { attempt: 1, stage: 'squares', batch: 0 },
      { attempt: 1, stage: 'squares', batch: 1 },
      { attempt: 1, stage: 'squares', batch: 2 },
      { attempt: 2, stage: 'squares', batch: 2 },
      { attempt: 2, stage: 'doubled', batch: 0 },
    ]);
    const record = await jobs.status(jobId);
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2, progress: { fraction: 1 } });
    expect((await harness.store.list(`jobs/${jobId}/`, { recursive: true })).objects).toEqual([]);
  });
});
