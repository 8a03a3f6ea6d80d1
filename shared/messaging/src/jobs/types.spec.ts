import type { NatsConnection } from 'nats';
import type { JobsClient } from './jobs-client';
import { JobWorker } from './job-worker';
import type { QueueSpec } from './types';

interface DemoQueues {
  'guide-training.train': QueueSpec<{ modelKey: string; steps: number }, { guideKey: string }>;
}

// Compile-time checks (run by `tsc --noEmit`): the registry types submit payloads and handler results.
export function typedRegistryChecks(jobs: JobsClient<DemoQueues>, worker: JobWorker<DemoQueues>): void {
  void jobs.submit('guide-training.train', { modelKey: 'm', steps: 3 });
  // @ts-expect-error unknown queue
  void jobs.submit('guide-training.tain', { modelKey: 'm', steps: 3 });
  // @ts-expect-error wrong payload
  void jobs.submit('guide-training.train', { modelKey: 'm' });
  worker.register('guide-training.train', async (job) => ({ guideKey: `${job.payload.modelKey}/${job.payload.steps}` }));
  // @ts-expect-error wrong result
  worker.register('guide-training.train', async () => ({ guide: 1 }));
}

describe('typed queue registry', () => {
  it('checks queue names at runtime too, against the declared list', () => {
    const worker = new JobWorker<DemoQueues>({} as NatsConnection, {}, { queues: ['guide-training.train'] });
    expect(() => worker.register('guide-training.train', async () => ({ guideKey: 'k' }))).not.toThrow();
    expect(worker.queues).toEqual(['guide-training.train']);
  });
});
