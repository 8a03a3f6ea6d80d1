import OpenAI from 'openai';
import { AssayBlock, JobAccepted } from '@assay/contracts';
import { JobsClient } from '@assay/messaging';
import { installInMemoryTracing } from '@assay/telemetry';
import { PlatformHarness } from '@assay/testing';
import { CalibratorModule } from '../services/calibrator/src/calibrator.module';
import { datasetPrefix, DatasetManifest } from '../services/calibrator/src/dataset.store';
import { fixtureRows } from '../services/calibrator/test/calibrator-models';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GatewayModule } from '../services/gateway/src/gateway.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';
import { RectifierModule } from '../services/rectifier/src/rectifier.module';
import { RewardHeadModule } from '../services/reward-head/src/reward-head.module';
import { forgeChatModel, toyPairs } from '../services/reward-head/test/reward-models';

const jsonl = (rows: unknown[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

/**
 * A policy with every stage on, through the official OpenAI client: draws from the rectified L (a trained Q_D), VALID
 * against G, the reward head's choice among the accepted draws, and the calibrator's P(correct); and one trace across
 * gateway → certifier → rectifier → likelihood → reward-head → calibrator. L is a tiny chat model (ChatML, final-norm
 * hidden states) with random weights; the heads are trained here on toy data (the plumbing, not their quality).
 */
describe('gateway: a fully composed policy (rectifier, VALID, reward head, calibrator)', () => {
  const tracing = installInMemoryTracing();
  const harness = new PlatformHarness('gateway-composed');
  let client: OpenAI;

  beforeAll(async () => {
    await harness.start();
    await harness.registry.push(await forgeChatModel(3), { name: 'chat-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(await forgeChatModel(4, { hiddenSize: 16, layers: 1 }), { name: 'chat-g', version: '1', provenance: { kind: 'forged' } });
    await harness.store.put('data/pairs.jsonl', jsonl(toyPairs(32)));
    const rows = fixtureRows();
    const counts = { train: rows.filter((r) => r.split === 'train').length, val: rows.filter((r) => r.split === 'val').length, test: rows.filter((r) => r.split === 'test').length };
    const manifest: DatasetManifest = { dataset: 'fixture', model: 'chat-l@1', source: { kind: 'fixture' }, format: 'open', kshot: 0, maxNewTokens: 8, seed: 1, counts, accuracy: { train: null, val: null, test: null }, createdAt: new Date().toISOString(), jobId: 'none' };
    await harness.store.put(`${datasetPrefix('fixture')}rows.jsonl`, jsonl(rows));
    await harness.store.putJson(`${datasetPrefix('fixture')}manifest.json`, manifest);
    for (const [module, name] of [[GenerationModule, 'generation'], [LikelihoodModule, 'likelihood'], [CertifierModule, 'certifier'], [RectifierModule, 'rectifier'], [RewardHeadModule, 'reward-head'], [CalibratorModule, 'calibrator'], [GatewayModule, 'gateway']] as const) {
      await harness.startService(module, name);
    }
    const jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    const submitted = await Promise.all([
      harness.rpc.request<JobAccepted>('assay.rectifier.train', { model: 'chat-l', name: 'chat-q', prompts: toyPairs(12).map((p) => p.prompt), metric: { kind: 'regex', pattern: 'bad' }, rolloutsPerPrompt: 2, maxNewTokens: 4, hidden: 8, epochs: 2, batchSize: 8, epsilon: 0.3 }),
      harness.rpc.request<JobAccepted>('assay.reward.train', { name: 'chat-rm', model: 'chat-l', data: 'data/pairs.jsonl', maxEpochs: 4, batchPairs: 16, learningRate: 0.05 }),
      harness.rpc.request<JobAccepted>('assay.calibrator.fit', { name: 'chat-cal', dataset: 'fixture', methods: ['probe'], probe: { hidden: [8], maxEpochs: 20, patience: 5 } }),
    ]);
    for (const { jobId } of submitted) await jobs.result(jobId, { waitMs: 300_000 });
    await harness.rpc.request('assay.gateway.create', {
      name: 'everything',
      model: 'chat-l',
      guide: 'chat-g',
      k: 64,
      T: 4,
      rectifier: { name: 'chat-q', epsilon: 0.3 },
      rewardHead: 'chat-rm',
      calibrator: 'chat-cal',
      sampling: { maxNewTokens: 3 },
    });
    client = new OpenAI({ apiKey: 'test-key', baseURL: `${await harness.url('gateway')}/v1`, maxRetries: 0, timeout: 120_000 });
  }, 600_000);
  afterAll(async () => {
    await harness.close();
    await tracing.provider.shutdown();
  });

  it('chat completion, streamed chat completion and models list with every stage, and one trace across all services', async () => {
    tracing.exporter.reset();
    const completion = await client.chat.completions.create({ model: 'everything', messages: [{ role: 'user', content: 'Tell me about the sea.' }], seed: 4 });
    const assay = (completion as unknown as { assay: AssayBlock }).assay;
    expect(assay.stages).toEqual(['rectify', 'certify', 'rerank', 'confidence']);
    expect(assay.status).toBe('accepted'); // k = 64: every canonical draw passes (single ASCII characters: all are canonical)
    const cert = assay.certificate!;
    expect(cert.log2Epsilon).toBeCloseTo(cert.k * cert.nTokens + Math.log2(cert.T) + cert.log2G, 9);
    expect(cert.log2L - cert.log2G).toBeLessThanOrEqual(cert.k * cert.nTokens + 1e-9);
    expect(Number.isFinite(assay.reward)).toBe(true);
    expect(assay.pCorrect).toBeGreaterThanOrEqual(0);
    expect(assay.pCorrect).toBeLessThanOrEqual(1);
    expect(assay.rectification).toEqual({ tokensCapped: expect.any(Number), massMoved: expect.any(Number), deadEndSteps: expect.any(Number) });
    // The returned draw is an accepted one, and the one the head preferred among the accepted.
    expect(assay.attempts!.filter((a) => a.accepted).length).toBeGreaterThan(0);

    await tracing.provider.forceFlush();
    const inTrace = tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === assay.traceId);
    // Consumer spans are named by the (namespaced) subject: `<namespace>.certifier.certify process`.
    const names = inTrace.map((s) => s.name);
    for (const name of ['gateway.completion', 'certifier.certify process', 'certify', 'rectifier.generate process', 'text_completion chat-l rectified', 'likelihood.score process', 'reward.score process', 'certify.rerank', 'calibrator.confidence process', 'certify.confidence']) {
      expect([name, names.some((n) => n === name || n.endsWith(`.${name}`))]).toEqual([name, true]);
    }

    const stream = await client.chat.completions.create({ model: 'everything', messages: [{ role: 'user', content: 'Tell me about the sea.' }], seed: 4, stream: true });
    let text = '';
    let streamed: AssayBlock | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      streamed = (chunk as unknown as { assay?: AssayBlock }).assay ?? streamed;
    }
    expect(text).toBe(completion.choices[0].message.content);
    expect(streamed!.stages).toEqual(assay.stages);

    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['everything', 'chat-l']));
  });
});
