import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { AssayJobsClient, connectNats, findNatsServer, JobWorker, jobNames, registryPayloadParsers, RpcClient, startNatsServer, type LocalNats } from '../src';
import { decodeJson, encodeJson } from '../src/codec';
import type { AssayJobQueues } from '@assay/contracts';
import { NATS_URL, rejection, sleep, uniqueNamespace, waitFor } from './support/nats';

/**
 * The registry at the wire: rpc.call checks requests before sending and replies on receipt, the jobs client checks
 * payloads at submit. A private nats-server, so registered subjects (assay.likelihood.score, ...) have no other
 * subscriber than the test's own responder.
 */
describe('typed calls and jobs against the contract registry (real nats-server)', () => {
  let nats: LocalNats | undefined;
  let nc: NatsConnection;
  let rpc: RpcClient;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-contract-calls-'));
  const received: Array<{ subject: string; data: unknown }> = [];
  let subscription: Subscription;
  let reply: (request: { data: Record<string, unknown> }) => unknown = () => ({});

  beforeAll(async () => {
    const bin = findNatsServer();
    if (bin) nats = await startNatsServer(bin, path.join(dataDir, 'nats'));
    nc = await connectNats({ servers: nats?.url ?? NATS_URL, name: 'contract-calls-spec' });
    rpc = new RpcClient(nc, { defaultTimeoutMs: 2_000 });
    // A plain responder in Nest's reply format on the likelihood service's subject.
    subscription = nc.subscribe('assay.likelihood.score', {
      callback: (_err, msg: Msg) => {
        const request = decodeJson<{ pattern: string; id: string; data: Record<string, unknown> }>(msg.data);
        received.push({ subject: msg.subject, data: request.data });
        msg.respond(encodeJson({ id: request.id, response: reply(request), isDisposed: true }));
      },
    });
    await nc.flush();
  }, 60_000);

  afterAll(async () => {
    subscription?.unsubscribe();
    await nc?.drain().catch(() => undefined);
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => (received.length = 0));

  const goodReply = { model: 'tiny', version: '1', results: [{ tokens: [{ id: 7, text: ' b', logprob: -1.5 }], sumLogprob: -1.5, numTokens: 1 }], usage: { inputTokens: 3, outputTokens: 0 } };

  it('a request that violates its schema fails at the caller with BAD_REQUEST, and nothing is sent', async () => {
    // Both a continuation and continuationIds: the item's refinement refuses it.
    const error = await rejection(rpc.call('assay.likelihood.score', { model: 'tiny', items: [{ continuation: ' b', continuationIds: [1] }] }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/assay\.likelihood\.score.*items\.0/);
    const badModel = await rejection(rpc.call('assay.likelihood.score', { model: 'Not A Model!', items: [{ continuation: ' b' }] }));
    expect(badModel.code).toBe('BAD_REQUEST');
    await nc.flush();
    await sleep(100);
    expect(received).toEqual([]);
  });

  it('a valid request goes out with its defaults applied, and the typed reply comes back', async () => {
    reply = () => goodReply;
    const response = await rpc.call('assay.likelihood.score', { model: 'tiny', items: [{ continuation: ' b' }] });
    expect(response.results[0].sumLogprob).toBe(-1.5);
    expect(received).toEqual([{ subject: 'assay.likelihood.score', data: { model: 'tiny', items: [{ context: '', continuation: ' b' }] } }]);
  });

  it('a reply that violates its schema is an INTERNAL error naming the subject', async () => {
    reply = () => ({ ...goodReply, results: [{ sumLogprob: 'minus one' }] });
    const error = await rejection(rpc.call('assay.likelihood.score', { model: 'tiny', items: [{ continuation: ' b' }] }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('assay.likelihood.score');
    expect(error.details).toMatchObject({ subject: 'assay.likelihood.score' });
    expect(received).toHaveLength(1);
  });

  it('a job with a bad payload is refused at submit time: no record, no message; a good one reaches the handler parsed', async () => {
    const namespace = uniqueNamespace();
    const jobs = await AssayJobsClient.connect(nc, { namespace });
    const bad = await rejection(
      // @ts-expect-error alpha must be a number (the compiler refuses it too)
      jobs.submit('auditor.audit', { reference: 'm1', candidate: 'm2', prompts: ['p'], metric: { kind: 'chrf' }, alpha: 'often' }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/auditor\.audit.*alpha/);
    const unknownQueue = await rejection(jobs.submit('auditor.nope' as 'auditor.audit', { reference: 'm1', candidate: 'm2', prompts: ['p'], metric: { kind: 'chrf' } }));
    expect(unknownQueue.code).toBe('BAD_REQUEST');
    expect(await jobs.list()).toEqual([]);
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(jobNames(namespace).stream)).state.messages).toBe(0);

    const worker = new JobWorker<AssayJobQueues>(nc, { namespace }, { queues: ['auditor.audit'], parsers: registryPayloadParsers(), pullExpiresMs: 1_000 });
    let seen: AssayJobQueues['auditor.audit']['payload'] | undefined;
    worker.register('auditor.audit', async (job) => {
      seen = job.payload;
      return { reportKey: 'r', decision: 'no-shift-detected' as const, samplesUsed: 0, samplesToDecision: null, finalLogWealth: 0 };
    });
    await worker.start();
    try {
      const { jobId, created } = await jobs.accept('auditor.audit', { reference: 'm1', candidate: 'm2', prompts: ['p'], metric: { kind: 'chrf' } }, { statusUrl: (id) => `/v1/audits/${id}` });
      expect(created).toBe(true);
      await jobs.result(jobId, { waitMs: 20_000 });
      await waitFor(() => seen, 5_000, 'the handler');
      // Defaults of the payload schema were applied at submit: the handler never sees a partial payload.
      expect(seen).toMatchObject({ alpha: 0.05, budget: 2000, test: 'witness', seeds: { reference: 1000, candidate: 2000 } });
      const status = await jobs.statusIn('auditor.audit', jobId);
      expect(Object.keys(status).sort()).toEqual(['attempts', 'createdAt', 'error', 'finishedAt', 'id', 'progress', 'queue', 'result', 'startedAt', 'status', 'updatedAt']);
      await expect(jobs.statusIn('certifier.evaluate', jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await worker.stop({ graceMs: 100 });
    }
  }, 60_000);
});
