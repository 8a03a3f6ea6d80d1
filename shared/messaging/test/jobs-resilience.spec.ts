import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { NatsConnection } from 'nats';
import { JobWorker, JobsClient, decodeNestEvent, jobNames, type JobCompletedEvent, type JobsConfig, type QueueSpec } from '../src';
import { stepHandler, type StepPayload, type StepResult } from './fixtures/step-job';
import { NATS_URL, connectTest, dropNamespace, sleep, uniqueNamespace, waitFor } from './support/nats';

interface Queues {
  'resilience.steps': QueueSpec<StepPayload, StepResult>;
  'resilience.graceful': QueueSpec<StepPayload, StepResult>;
  'resilience.short': QueueSpec<{ ms: number }, string>;
}

type StepEvent = { type: 'start' | 'step' | 'ready'; step: number; attempt: number; workerId?: string };

describe('jobs survive killed and stopped workers', () => {
  const namespace = uniqueNamespace();
  const names = jobNames(namespace);
  let nc: NatsConnection;
  let jobs: JobsClient<Queues>;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    nc = await connectTest('resilience-client');
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await dropNamespace(nc, namespace);
    await nc?.close();
  });

  async function worker(config: JobsConfig, name: string, concurrency = 1): Promise<[JobWorker<Queues>, NatsConnection]> {
    const wnc = await connectTest(name);
    const w = new JobWorker<Queues>(wnc, config, { pullExpiresMs: 1_000, workerId: name, concurrency });
    cleanups.push(async () => {
      await w.stop({ graceMs: 100, abortGraceMs: 100 });
      await wnc.close();
    });
    return [w, wnc];
  }

  it('a worker SIGKILLed mid-job: another resumes from the last checkpoint and stores one result', async () => {
    const config: JobsConfig = { namespace, ackWaitMs: 2_000, maxDeliver: 5 };
    jobs = await JobsClient.create<Queues>(nc, config);
    const completed: JobCompletedEvent[] = [];
    const sub = nc.subscribe(names.completedSubject, { callback: (_e, m) => completed.push(decodeNestEvent<JobCompletedEvent>(m.data)) });
    cleanups.push(async () => sub.unsubscribe());

    const childEvents: StepEvent[] = [];
    const child: ChildProcess = fork(path.join(__dirname, 'fixtures/step-worker.ts'), [], {
      execArgv: ['-r', require.resolve('@swc-node/register')],
      env: { ...process.env, NATS_URL, QUEUE: 'resilience.steps', JOBS_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    cleanups.push(async () => child.kill('SIGKILL'));
    child.on('message', (m) => childEvents.push(m as StepEvent));
    await waitFor(() => childEvents.find((e) => e.type === 'ready'), 30_000, 'child worker ready');

    const steps = 12;
    const { jobId } = await jobs.submit('resilience.steps', { steps, stepMs: 150 });
    await waitFor(() => childEvents.find((e) => e.type === 'step' && e.step >= 4), 15_000, 'child at step 4');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const childSteps = childEvents.filter((e) => e.type === 'step').map((e) => e.step);
    const lastChildStep = Math.max(...childSteps);
    expect(childEvents.find((e) => e.type === 'start')).toMatchObject({ step: 0, attempt: 1 });

    const [survivor] = await worker(config, 'survivor');
    const survivorEvents: StepEvent[] = [];
    survivor.register('resilience.steps', stepHandler((e) => survivorEvents.push(e)));
    const killedAt = Date.now();
    await survivor.start();

    const result = (await jobs.result<StepResult>(jobId, { waitMs: 20_000 }))!;
    const redeliveredAfter = Date.now() - killedAt;
    const start = survivorEvents.find((e) => e.type === 'start')!;
    // Resumed, not restarted: from the child's last checkpoint (or the one it was writing when killed).
    expect(start.step).toBeGreaterThan(0);
    expect(start.step).toBeGreaterThanOrEqual(lastChildStep);
    expect(start.step).toBeLessThanOrEqual(lastChildStep + 1);
    expect(start.attempt).toBe(2);
    expect(result).toEqual({ sum: (steps * (steps - 1)) / 2, resumedFrom: start.step, attempt: 2 });
    expect(survivorEvents.filter((e) => e.type === 'step').map((e) => e.step)).toEqual(
      Array.from({ length: steps - start.step }, (_, i) => start.step + i + 1),
    );
    expect(redeliveredAfter).toBeLessThan(10_000);

    const record = await jobs.status(jobId);
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2, worker: 'survivor', progress: { fraction: 1 } });
    await sleep(500);
    expect(completed.filter((c) => c.jobId === jobId)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 2 })]);
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(0);
  });

  it('stop() lets a short job finish, hands a long one back at once, and another worker completes it', async () => {
    // ack_wait far above the test's waits: a hand-over that waited for the redelivery timer would fail the timing check.
    const config: JobsConfig = { namespace, ackWaitMs: 30_000, maxDeliver: 5 };
    jobs = new JobsClient<Queues>(nc, config);
    const [leaving] = await worker(config, 'leaving', 2);
    const leavingEvents: StepEvent[] = [];
    const stepJob = stepHandler((e) => leavingEvents.push(e));
    let abortedWith: unknown;
    leaving.register('resilience.graceful', async (job) => {
      job.signal.addEventListener('abort', () => (abortedWith = job.signal.reason));
      return stepJob(job);
    });
    leaving.register('resilience.short', async (job) => {
      await sleep(job.payload.ms);
      return 'short done';
    });
    await leaving.start();

    const long = await jobs.submit('resilience.graceful', { steps: 40, stepMs: 100 });
    await waitFor(() => leavingEvents.find((e) => e.type === 'step' && e.step >= 2), 10_000, 'leaving worker at step 2');
    const short = await jobs.submit('resilience.short', { ms: 500 });
    await waitFor(async () => (await jobs.status(short.jobId)).status === 'running', 5_000, 'short job running');
    expect(leaving.inFlight).toBe(2);

    await leaving.stop({ graceMs: 1_000, abortGraceMs: 1_000 });
    const stoppedAt = Date.now();
    expect(leaving.inFlight).toBe(0);
    expect(await jobs.status(short.jobId)).toMatchObject({ status: 'succeeded', worker: 'leaving', attempts: 1, result: 'short done' });
    expect(abortedWith).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'shutdown' } });
    const handedBack = await jobs.status(long.jobId);
    expect(handedBack).toMatchObject({ status: 'queued', attempts: 1 });
    expect(handedBack.error).toBeUndefined(); // a shutdown is not a failure
    const lastLeavingStep = Math.max(...leavingEvents.filter((e) => e.type === 'step').map((e) => e.step));

    const [taker] = await worker(config, 'taker');
    const takerEvents: StepEvent[] = [];
    taker.register('resilience.graceful', stepHandler((e) => takerEvents.push(e)));
    taker.register('resilience.short', async () => 'unused');
    await taker.start();
    const start = await waitFor(() => takerEvents.find((e) => e.type === 'start'), 10_000, 'taker start');
    expect(Date.now() - stoppedAt).toBeLessThan(5_000); // handed back by nak, not by the 30 s ack timer
    expect(start).toMatchObject({ step: lastLeavingStep, attempt: 2 });

    const result = await jobs.result<StepResult>(long.jobId, { waitMs: 15_000 });
    expect(result).toEqual({ sum: (40 * 39) / 2, resumedFrom: lastLeavingStep, attempt: 2 });
    expect(await jobs.status(long.jobId)).toMatchObject({ status: 'succeeded', worker: 'taker', attempts: 2 });
  });
});
