import { INestApplication } from '@nestjs/common';
import { GuideTrainResult, JobAccepted } from '@assay/contracts';
import { decodeCheckpoint, demoCorpus, GptWeights } from '@assay/forge';
import { JobEvent, JobsClient } from '@assay/messaging';
import { JobHostService } from '@assay/platform';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { GuideTrainingModule } from '../src/guide-training.module';

const corpus = demoCorpus({ seed: 3, inDomainItems: 80, generalItems: 10, heldOutItems: 5, promptItems: 2 });
const TINY = { vocabSize: 320, layers: 1, heads: 2, dim: 32, context: 32, batchSize: 8, evalEvery: 10, progressEvery: 5 };

/** Every event of a job until it ends. */
async function collect(jobs: JobsClient, jobId: string, onEvent?: (event: JobEvent) => void): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of jobs.watch(jobId, { pollMs: 500 })) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

/**
 * Stops a service as a crashed or rescheduled pod would: the job worker gives up its running job right away
 * (the handler's signal fires, it returns within the abort grace, the message goes back to the stream),
 * instead of waiting the default 10 s for the job to finish.
 */
async function stopAbruptly(app: INestApplication): Promise<void> {
  const host = app.get(JobHostService) as unknown as { worker?: { stop(options: { graceMs: number; abortGraceMs: number }): Promise<void> } };
  await host.worker?.stop({ graceMs: 0, abortGraceMs: 10_000 });
  await app.close();
}

describe('guide-training service (real NATS, S3 server, tfjs, onnxruntime)', () => {
  const harness = new PlatformHarness('guide-training');
  let jobs: JobsClient;
  let app: INestApplication;

  beforeAll(async () => {
    await harness.start();
    const jsonl = corpus.inDomainPairs.map((p) => JSON.stringify({ prompt: p.prompt, response: p.response })).join('\n');
    await harness.store.put('data/health.jsonl', Buffer.from(jsonl));
    await harness.store.put('data/health.txt', Buffer.from(corpus.inDomain.join('\n\n')));
    const largeDir = await forgeTinyModel({ texts: [...corpus.inDomain, ...corpus.general], vocabSize: 350 });
    await harness.registry.push(largeDir, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    app = await harness.startService(GuideTrainingModule, 'guide-training');
  }, 120_000);
  afterAll(() => harness.close());

  it('trains a guide from JSONL over NATS, streaming progress, and registers it with weights.bin', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.guide-training.train', { data: 'data/health.jsonl', name: 'health-guide', steps: 30, ...TINY });
    expect(accepted).toMatchObject({ status: 'queued', statusUrl: `/v1/guides/jobs/${accepted.jobId}` });
    const events = await collect(jobs, accepted.jobId);
    const result = await jobs.result<GuideTrainResult>(accepted.jobId);

    const progress = events.filter((e) => e.type === 'progress').map((e) => e.progress.metrics!);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[progress.length - 1]).toMatchObject({ step: 30, steps: 30 });
    for (const m of progress) for (const key of ['step', 'loss', 'tokensPerSec', 'etaSec']) expect(Number.isFinite(m[key])).toBe(true);
    expect(progress.some((m) => Number.isFinite(m.valLoss))).toBe(true);

    expect(result).toMatchObject({ model: 'health-guide', report: { steps: 30, stopReason: 'max-steps', tokenizer: { source: 'train' } } });
    expect(result.report.trainLoss as number).toBeLessThan(Math.log((result.report.shape as { vocabSize: number }).vocabSize));
    const manifest = await harness.registry.show('health-guide', result.version);
    expect(manifest.provenance).toMatchObject({ kind: 'trained-guide', data: 'data/health.jsonl', trainingReport: { steps: 30 } });
    expect(manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['model.onnx', 'config.json', 'tokenizer.json', 'weights.bin']));
    const weights = decodeCheckpoint<GptWeights>(await harness.store.getBuffer(`models/health-guide/${result.version}/weights.bin`));
    expect(weights.shape).toMatchObject({ layers: 1, heads: 2, dim: 32, contextLength: 32 });
    expect(await harness.store.exists(`jobs/${accepted.jobId}/checkpoint.bin`)).toBe(false);
  });

  it('over HTTP: reuses L\'s tokenizer byte for byte, fine-tunes a base guide, and reports status', async () => {
    const url = await harness.url('guide-training');
    const post = (body: unknown) =>
      fetch(`${url}/v1/guides`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify(body) });
    const response = await post({ data: 'data/health.txt', name: 'guide-l-tok', tokenizer: 'tiny-l', steps: 12, ...TINY });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as JobAccepted;
    const done = await jobs.result<GuideTrainResult>(accepted.jobId, { waitMs: 90_000 });
    const status = await (await fetch(`${url}${accepted.statusUrl}`, { headers: { 'x-api-key': 'test-key' } })).json();
    expect(status).toMatchObject({ id: accepted.jobId, queue: 'guide-training.train', status: 'succeeded', result: { model: 'guide-l-tok' } });
    const [large, guide] = await Promise.all([harness.registry.show('tiny-l', '1'), harness.registry.show('guide-l-tok', done.version)]);
    const digest = (m: typeof large) => m.files.find((f) => f.path === 'tokenizer.json')!.sha256;
    expect(digest(guide)).toBe(digest(large));

    const tuned = await post({ data: 'data/health.txt', name: 'guide-tuned', baseModel: `guide-l-tok@${done.version}`, steps: 6, ...TINY });
    const tunedResult = await jobs.result<GuideTrainResult>(((await tuned.json()) as JobAccepted).jobId, { waitMs: 90_000 });
    const tunedManifest = await harness.registry.show('guide-tuned', tunedResult.version);
    expect(tunedManifest.provenance.parent).toEqual({ name: 'guide-l-tok', version: done.version });
    expect(digest(tunedManifest)).toBe(digest(large));

    const missing = await post({ data: 'data/nope.jsonl', name: 'x', steps: 5 });
    expect(missing.status).toBe(404);
    const unknownBase = await post({ data: 'data/health.txt', name: 'x', baseModel: 'no-such-guide' });
    expect(await unknownBase.json()).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await post({ data: 'data/health.txt', name: 'x', dim: 30, heads: 4 });
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const unknownJob = await fetch(`${url}/v1/guides/jobs/${'0'.repeat(32)}`, { headers: { 'x-api-key': 'test-key' } });
    expect(unknownJob.status).toBe(404);
  });

  it('a worker stopped mid-training hands the job back and a new worker resumes from the checkpoint', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.guide-training.train', {
      data: 'data/health.jsonl',
      name: 'resumed-guide',
      steps: 300,
      checkpointEvery: 10,
      ...TINY,
    });
    const firstWorker: JobEvent[] = [];
    let checkpointed!: () => void;
    const reachedCheckpoint = new Promise<void>((resolve) => (checkpointed = resolve));
    const watching = collect(jobs, accepted.jobId, (event) => {
      firstWorker.push(event);
      if ((event.progress.metrics?.step ?? 0) >= 15) checkpointed();
    });
    await reachedCheckpoint;
    await stopAbruptly(app);
    const requeued = await jobs.status(accepted.jobId);
    expect(requeued.status).toBe('queued');
    expect(requeued.progress.metrics!.step).toBeLessThan(300);

    app = await harness.startService(GuideTrainingModule, 'guide-training');
    const events = await watching;
    const result = await jobs.result<GuideTrainResult>(accepted.jobId);
    const record = await jobs.status(accepted.jobId);
    expect(record.attempts).toBe(2);
    const resumedFrom = result.report.resumedFromStep as number;
    expect(resumedFrom).toBeGreaterThanOrEqual(10);
    expect(resumedFrom % 10).toBe(0);
    expect(result.report.steps).toBe(300);
    // The second attempt's first progress event comes after the checkpoint, not from step 1.
    const secondAttempt = events.filter((e) => e.type === 'progress' && e.attempts === 2).map((e) => e.progress.metrics!.step);
    expect(secondAttempt.length).toBeGreaterThan(0);
    expect(Math.min(...secondAttempt)).toBeGreaterThan(resumedFrom);
  });
});
