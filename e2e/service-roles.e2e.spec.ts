import { AssayError, GuideTrainResult, JobAccepted } from '@assay/contracts';
import { demoCorpus } from '@assay/forge';
import { JobsClient, requestSubject, RpcClient } from '@assay/messaging';
import { PlatformHarness } from '@assay/testing';
import { GuideTrainingModule } from '../services/guide-training/src/guide-training.module';

const corpus = demoCorpus({ seed: 5, inDomainItems: 40, generalItems: 5, heldOutItems: 5, promptItems: 2 });
const TINY = { vocabSize: 320, layers: 1, heads: 2, dim: 16, context: 16, batchSize: 4, evalEvery: 4, progressEvery: 4 };
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'answered', (error: AssayError) => error.code);

/**
 * ASSAY_ROLE (issue 14.1) and ASSAY_NAMESPACE on request subjects (issue 16.5), with a real service (guide-training:
 * a request subject, an HTTP route and a job queue) on a real nats-server and S3 server.
 */
describe('service roles and namespaces (real NATS, S3 server, guide-training)', () => {
  const harness = new PlatformHarness('roles');
  let jobs: JobsClient;

  beforeAll(async () => {
    await harness.start();
    await harness.store.put('data/roles.txt', Buffer.from(corpus.inDomain.join('\n\n')));
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
  }, 120_000);
  afterAll(() => harness.close());

  const train = (name: string) => harness.rpc.call('assay.guide-training.train', { data: 'data/roles.txt', name, steps: 4, ...TINY } as never) as Promise<JobAccepted>;
  const stop = async (key: string) => {
    await harness.apps.get(key)?.close();
    harness.apps.delete(key);
  };
  afterEach(async () => {
    for (const key of [...harness.apps.keys()]) await stop(key);
  });

  it('api answers requests and HTTP but consumes no job; worker drains the job but answers no request', async () => {
    await harness.startService(GuideTrainingModule, 'guide-training', { env: { ASSAY_ROLE: 'api' }, key: 'api' });
    const accepted = await train('roles-guide');
    expect(accepted.status).toBe('queued');
    const apiUrl = await harness.url('api');
    expect((await fetch(`${apiUrl}${accepted.statusUrl}`, { headers: { 'x-api-key': 'test-key' } })).status).toBe(200);
    // Long enough for a worker to have pulled it several times over (fetches are immediate when one listens).
    await new Promise((r) => setTimeout(r, 3000));
    expect((await jobs.status(accepted.jobId)).status).toBe('queued');
    await stop('api');

    await harness.startService(GuideTrainingModule, 'guide-training', { env: { ASSAY_ROLE: 'worker' }, key: 'worker' });
    const result = await jobs.result<GuideTrainResult>(accepted.jobId, { waitMs: 110_000 });
    expect(result).toMatchObject({ model: 'roles-guide', report: { steps: 4 } });
    // No request subject: the caller learns at once that nobody answers.
    expect(await codeOf(harness.rpc.call('assay.guide-training.health', {}, { timeoutMs: 5000 }))).toBe('UNAVAILABLE');
    expect(await codeOf(train('refused'))).toBe('UNAVAILABLE');
    const workerUrl = await harness.url('worker');
    const post = await fetch(`${workerUrl}/v1/guides`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: '{}' });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ code: 'NOT_FOUND', details: { role: 'worker' } });
    for (const probe of ['/healthz', '/metrics']) expect((await fetch(`${workerUrl}${probe}`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${workerUrl}/readyz`)).status);
    await stop('worker');
  }, 180_000);

  it('two platforms with different namespaces on one NATS server never answer each other', async () => {
    const other = 'ops_other';
    await harness.startService(GuideTrainingModule, 'guide-training', { env: { ASSAY_NAMESPACE: other, ASSAY_ROLE: 'api' }, key: 'other' });
    const otherRpc = new RpcClient(harness.nc, { defaultTimeoutMs: 10_000, namespace: other });
    expect(await otherRpc.call('assay.guide-training.health', {})).toMatchObject({ service: 'guide-training', status: 'ok' });
    // The harness's platform (its own namespace) has no guide-training running: nobody answers its callers.
    expect(await codeOf(harness.rpc.call('assay.guide-training.health', {}, { timeoutMs: 5000 }))).toBe('UNAVAILABLE');
    expect(await codeOf(new RpcClient(harness.nc, { defaultTimeoutMs: 5000 }).call('assay.guide-training.health', {}))).toBe('UNAVAILABLE');

    await harness.startService(GuideTrainingModule, 'guide-training', { env: { ASSAY_ROLE: 'api' }, key: 'mine' });
    expect(await harness.rpc.call('assay.guide-training.health', {})).toMatchObject({ status: 'ok' });
    // A job submitted through the other platform lands in its own stream and records, not in ours.
    const accepted = (await otherRpc.call('assay.guide-training.train', { data: 'data/roles.txt', name: 'other-guide', steps: 4, ...TINY } as never)) as JobAccepted;
    expect(accepted.status).toBe('queued');
    await expect(jobs.status(accepted.jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const otherJobs = await JobsClient.create(harness.nc, { namespace: other });
    expect((await otherJobs.status(accepted.jobId)).status).toBe('queued');
    // Wire subjects, as a raw NATS client sees them.
    expect(requestSubject(other, 'assay.guide-training.train')).toBe('ops_other.guide-training.train');
    expect(requestSubject('assay', 'assay.guide-training.train')).toBe('assay.guide-training.train');
    await stop('mine');
    await stop('other');
  }, 120_000);
});
