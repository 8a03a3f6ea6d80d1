import { SpanKind, trace } from '@opentelemetry/api';
import { RetentionPolicy, nanos, type NatsConnection } from 'nats';
import { resolveJobsConfig } from '../src/jobs/config';
import { ensureJobStores, ensureQueueConsumer } from '../src/jobs/infrastructure';
import { AssayError, JobWorker, JobsClient, decodeNestEvent, jobNames, type JobCompletedEvent, type JobEvent, type JobHandler, type JobsConfig, type PayloadOf, type QueueSpec, type ResultOf } from '../src';
import { connectTest, dropNamespace, rejection, sleep, uniqueNamespace, waitFor } from './support/nats';
import { setupTracing } from './support/tracing';

interface TestQueues {
  'basic.square': QueueSpec<{ x: number }, { square: number }>;
  'idem.count': QueueSpec<{ n: number }, { n: number }>;
  'flaky.fail': QueueSpec<{ n: number }, never>;
  'bad.input': QueueSpec<{ n: number }, never>;
  'cancel.queued': QueueSpec<{ n: number }, never>;
  'cancel.running': QueueSpec<{ n: number }, string>;
  'big.checkpoint': QueueSpec<{ bytes: number }, string>;
  'stuck.job': QueueSpec<{ n: number }, never>;
  'split.queue': QueueSpec<{ n: number }, { by: string }>;
}

describe('durable jobs on JetStream', () => {
  const tracing = setupTracing();
  const namespace = uniqueNamespace();
  const config: JobsConfig = { namespace, ackWaitMs: 2_000, maxDeliver: 3, retryDelayMs: 50 };
  const names = jobNames(namespace);
  let nc: NatsConnection;
  let workerNc: NatsConnection;
  let jobs: JobsClient<TestQueues>;
  const workers: JobWorker<TestQueues>[] = [];

  async function startWorker<K extends keyof TestQueues & string>(queue: K, handler: JobHandler<PayloadOf<TestQueues, K>, ResultOf<TestQueues, K>>) {
    const worker = new JobWorker<TestQueues>(workerNc, config, { pullExpiresMs: 1_000, concurrency: 2 });
    worker.register(queue, handler);
    await worker.start();
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    nc = await connectTest('jobs-spec-client');
    workerNc = await connectTest('jobs-spec-worker');
    jobs = await JobsClient.create<TestQueues>(nc, config);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop({ graceMs: 100, abortGraceMs: 100 })));
    await dropNamespace(nc, namespace);
    await workerNc?.close();
    await nc?.close();
    await tracing.shutdown();
  });

  it('submit returns at once; a worker runs the job; watch sees progress; the job span joins the submitter’s trace', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await startWorker('basic.square', async (job) => {
      await gate;
      await job.progress(0.5, 'half', { x: job.payload.x });
      await sleep(30);
      return { square: job.payload.x ** 2 };
    });

    const { jobId, created } = await trace.getTracer('test').startActiveSpan('caller', async (span) => {
      try {
        return await jobs.submit('basic.square', { x: 7 });
      } finally {
        span.end();
      }
    });
    expect(created).toBe(true);
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    const queued = await jobs.status(jobId);
    expect(['queued', 'running']).toContain(queued.status);
    expect(queued.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const events: JobEvent[] = [];
    const watching = (async () => {
      for await (const event of jobs.watch(jobId)) events.push(event);
    })();
    await sleep(100);
    release();
    await watching;

    expect(events[events.length - 1]).toMatchObject({ type: 'status', status: 'succeeded', jobId });
    expect(events.some((e) => e.type === 'progress' && e.progress.fraction === 0.5 && e.progress.message === 'half' && e.progress.metrics?.x === 7)).toBe(true);
    expect(events.some((e) => e.status === 'running')).toBe(true);
    expect(await jobs.result(jobId)).toEqual({ square: 49 });
    const done = await jobs.status(jobId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, progress: { fraction: 1 } });

    const spans = tracing.exporter.getFinishedSpans();
    const caller = spans.find((s) => s.name === 'caller')!;
    const submit = spans.find((s) => s.name === 'submit basic.square')!;
    const run = await waitFor(() => tracing.exporter.getFinishedSpans().find((s) => s.name === 'job basic.square'), 2_000, 'job span');
    expect(submit.kind).toBe(SpanKind.PRODUCER);
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(run.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
    expect(run.attributes).toMatchObject({ 'messaging.system': 'nats', 'assay.job.id': jobId, 'assay.job.attempt': 1 });
  });

  it('is idempotent on clientKey: same id, one message, one run, also after completion', async () => {
    let runs = 0;
    const completed: JobCompletedEvent[] = [];
    const sub = nc.subscribe(names.completedSubject, { callback: (_e, m) => completed.push(decodeNestEvent<JobCompletedEvent>(m.data)) });
    const submits = await Promise.all([1, 2, 3].map(() => jobs.submit('idem.count', { n: 1 }, { clientKey: 'order-17' })));
    expect(new Set(submits.map((s) => s.jobId)).size).toBe(1);
    expect(submits.filter((s) => s.created)).toHaveLength(1);
    const { jobId } = submits[0];
    await startWorker('idem.count', async (job) => {
      runs++;
      return { n: job.payload.n };
    });
    expect(await jobs.result(jobId, { waitMs: 5_000 })).toEqual({ n: 1 });
    const again = await jobs.submit('idem.count', { n: 1 }, { clientKey: 'order-17' });
    expect(again).toEqual({ jobId, created: false });
    const other = await jobs.submit('idem.count', { n: 2 }, { clientKey: 'order-18' });
    expect(other.jobId).not.toBe(jobId);
    await jobs.result(other.jobId, { waitMs: 5_000 });
    await sleep(300);
    expect(runs).toBe(2);
    expect(completed.filter((c) => c.jobId === jobId)).toHaveLength(1);
    sub.unsubscribe();
  });

  it('retries a failing handler, then dead-letters it after max_deliver with the error', async () => {
    const attempts: number[] = [];
    await startWorker('flaky.fail', async (job) => {
      attempts.push(job.attempt);
      throw new Error(`disk on fire (attempt ${job.attempt})`);
    });
    const { jobId } = await jobs.submit('flaky.fail', { n: 1 });
    const error = await rejection(jobs.result(jobId, { waitMs: 10_000 }));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('disk on fire (attempt 3)');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await jobs.status(jobId)).toMatchObject({ status: 'dead', attempts: 3 });

    const jsm = await nc.jetstreamManager();
    const dead = await jsm.streams.getMessage(names.dlqStream, { last_by_subj: `${names.dlqSubjectRoot}.flaky.fail` });
    expect(dead.header.get('Assay-Job-Id')).toBe(jobId);
    expect(JSON.parse(dead.header.get('Assay-Error'))).toMatchObject({ code: 'INTERNAL' });
    expect(dead.json()).toEqual({ n: 1 });
    await sleep(200);
    expect(attempts).toHaveLength(3); // termed: no fourth delivery
    const pending = await jsm.streams.getMessage(names.stream, { last_by_subj: `${names.jobsSubjectRoot}.flaky.fail.${jobId}` }).catch(() => undefined);
    expect(pending).toBeUndefined();
  });

  it('fails at once, without retries, on BAD_REQUEST', async () => {
    let calls = 0;
    await startWorker('bad.input', async () => {
      calls++;
      throw new AssayError('BAD_REQUEST', 'n must be even');
    });
    const { jobId } = await jobs.submit('bad.input', { n: 1 });
    const error = await rejection(jobs.result(jobId, { waitMs: 5_000 }));
    expect(error.toEnvelope()).toEqual({ code: 'BAD_REQUEST', message: 'n must be even', details: {} });
    // The record keeps the whole envelope, details included (an object, possibly empty).
    expect(await jobs.status(jobId)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BAD_REQUEST', message: 'n must be even', details: {} } });
    await sleep(300);
    expect(calls).toBe(1);
  });

  it('cancels a queued job (its message is purged) and a running one (its signal fires)', async () => {
    const queued = await jobs.submit('cancel.queued', { n: 1 });
    expect((await jobs.cancel(queued.jobId)).status).toBe('cancelled');
    let ranQueued = false;
    await startWorker('cancel.queued', async () => {
      ranQueued = true;
      throw new Error('must not run');
    });

    let sawAbort: unknown;
    await startWorker('cancel.running', async (job) => {
      await job.progress(0.1);
      await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()));
      sawAbort = job.signal.reason;
      throw job.signal.reason;
    });
    const running = await jobs.submit('cancel.running', { n: 1 });
    await waitFor(async () => (await jobs.status(running.jobId)).status === 'running', 5_000, 'running');
    await jobs.cancel(running.jobId);
    await waitFor(() => sawAbort, 3_000, 'abort');
    expect(sawAbort).toMatchObject({ details: { reason: 'cancelled' } });
    await sleep(300);
    expect(await jobs.status(running.jobId)).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(ranQueued).toBe(false);
    expect(await jobs.status(queued.jobId)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect((await jobs.cancel(running.jobId)).status).toBe('cancelled'); // idempotent
    await expect(jobs.result(running.jobId)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses a checkpoint over the size limit with a pointer to the object store', async () => {
    let refusal: AssayError | undefined;
    await startWorker('big.checkpoint', async (job) => {
      await job.checkpoint({ small: 'x'.repeat(1_000) });
      const small = await job.loadCheckpoint<{ small: string }>();
      try {
        await job.checkpoint({ big: 'x'.repeat(job.payload.bytes) });
      } catch (error) {
        refusal = error as AssayError;
      }
      return `kept ${small?.small.length}`;
    });
    const { jobId } = await jobs.submit('big.checkpoint', { bytes: 900 * 1024 });
    expect(await jobs.result(jobId, { waitMs: 5_000 })).toBe('kept 1000');
    expect(refusal).toBeInstanceOf(AssayError);
    expect(refusal!.code).toBe('PAYLOAD_TOO_LARGE');
    expect(refusal!.message).toMatch(/object store/);
  });

  it('dead-letters a job whose last delivery was never acked (a killed worker), from the server advisory', async () => {
    const oneShot: JobsConfig = { ...config, maxDeliver: 1 };
    // Create the consumer (max_deliver 1) without running handlers, then pull like a worker that dies at once.
    const stores = await ensureJobStores(nc, names, resolveJobsConfig(oneShot));
    const durable = await ensureQueueConsumer(stores.jsm, names, 'stuck.job', resolveJobsConfig(oneShot));
    const { jobId } = await jobs.submit('stuck.job', { n: 1 });
    const consumer = await nc.jetstream().consumers.get(names.stream, durable);
    const taken = await consumer.next({ expires: 2_000 });
    expect(taken?.subject).toContain(jobId);
    // The server notices the exhausted message when a live worker of the queue asks for more.
    let ran = false;
    const survivor = new JobWorker<TestQueues>(workerNc, oneShot, { pullExpiresMs: 1_000 });
    survivor.register('stuck.job', async () => {
      ran = true;
      throw new Error('must not run again');
    });
    await survivor.start();
    workers.push(survivor);

    const record = await waitFor(async () => {
      const r = await jobs.status(jobId);
      return r.status === 'dead' ? r : undefined;
    }, 8_000, 'dead record');
    expect(record.error).toMatchObject({ code: 'TIMEOUT' });
    const jsm = await nc.jetstreamManager();
    const left = await jsm.streams.getMessage(names.stream, { last_by_subj: taken!.subject }).catch(() => undefined);
    expect(left).toBeUndefined();
    const dead = await jsm.streams.getMessage(names.dlqStream, { last_by_subj: `${names.dlqSubjectRoot}.stuck.job` });
    expect(dead.header.get('Assay-Job-Id')).toBe(jobId);
    expect(ran).toBe(false);
  });

  it('keeps one durable consumer per queue and updates its ack_wait / max_deliver when they change', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureQueueConsumer(jsm, names, 'conf.change', resolveJobsConfig(config));
    await ensureQueueConsumer(jsm, names, 'conf.change', resolveJobsConfig({ ...config, ackWaitMs: 7_000, maxDeliver: 9 }));
    const info = await jsm.consumers.info(names.stream, 'conf_change');
    expect(info.config).toMatchObject({
      durable_name: 'conf_change',
      filter_subject: `${names.jobsSubjectRoot}.conf.change.*`,
      ack_wait: nanos(7_000),
      max_deliver: 9,
    });
    const stream = await jsm.streams.info(names.stream);
    expect(stream.config).toMatchObject({ retention: RetentionPolicy.Workqueue, subjects: [`${names.jobsSubjectRoot}.>`] });
  });

  it('two workers (own connections, one job at a time each, as two replicas) split one queue: neither takes every message', async () => {
    const ran: { job: number; by: string }[] = [];
    let bothBusy!: () => void;
    const bothStarted = new Promise<void>((resolve) => (bothBusy = resolve));
    const connections = await Promise.all(['a', 'b'].map((name) => connectTest(`jobs-spec-split-${name}`)));
    const replicas = connections.map((connection, i) => {
      const by = `replica-${i + 1}`;
      const worker = new JobWorker<TestQueues>(connection, config, { pullExpiresMs: 1_000, concurrency: 1, workerId: by });
      // Each handler holds its job until both replicas hold one (or 60 s passed, so a failure is an assertion, not
      // a hang): a worker that pulled more than the job it runs would leave the other idle here.
      worker.register('split.queue', async (job) => {
        ran.push({ job: job.payload.n, by });
        if (new Set(ran.map((r) => r.by)).size === 2) bothBusy();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([bothStarted, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
        clearTimeout(timer);
        return { by };
      });
      return worker;
    });
    try {
      await Promise.all(replicas.map((worker) => worker.start()));
      const submitted = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => jobs.submit('split.queue', { n })));
      const results = await Promise.all(submitted.map(({ jobId }) => jobs.result<{ by: string }>(jobId, { waitMs: 90_000 })));
      const by = new Set(results.map((r) => r.by));
      expect(by).toEqual(new Set(['replica-1', 'replica-2']));
      expect(ran.map((r) => r.job).sort()).toEqual([0, 1, 2, 3, 4, 5]); // each job ran once
      for (const { jobId } of submitted) expect((await jobs.status(jobId)).attempts).toBe(1);
    } finally {
      await Promise.all(replicas.map((worker) => worker.stop({ graceMs: 100, abortGraceMs: 100 })));
      await Promise.all(connections.map((connection) => connection.close()));
    }
  }, 120_000);

  it('lists records newest first, filtered by queue and status', async () => {
    const all = await jobs.list({ limit: 1_000 });
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < all.length; i++) expect(all[i - 1].createdAt >= all[i].createdAt).toBe(true);
    const dead = await jobs.list({ status: 'dead' });
    expect(dead.map((r) => r.queue).sort()).toEqual(['flaky.fail', 'stuck.job']);
    const idem = await jobs.list({ queue: 'idem.count', status: 'succeeded' });
    expect(idem).toHaveLength(2);
    expect(await jobs.list({ limit: 2 })).toHaveLength(2);
    await expect(jobs.status('0'.repeat(32))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses bad registrations: twice, undeclared, missing, or invalid queue names', async () => {
    const worker = new JobWorker<TestQueues>(workerNc, config, { queues: ['basic.square', 'idem.count'] });
    const handler = async () => ({ square: 1 });
    worker.register('basic.square', handler);
    expect(() => worker.register('basic.square', handler)).toThrow(/already has a handler/);
    expect(() => worker.register('flaky.fail', async () => undefined as never)).toThrow(/not among/);
    await expect(worker.start()).rejects.toThrow(/without a handler: idem.count/);
    const empty = new JobWorker(workerNc, config);
    await expect(empty.start()).rejects.toThrow(/no job handlers/);
    expect(() => new JobWorker(workerNc, config).register('Bad_Name', handler)).toThrow(/invalid job queue name/);
    await expect(jobs.submit('basic.square', { x: 'x'.repeat(1_100_000) as unknown as number })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
