import { mkdtemp } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { JobAccepted, RectifiedGenerateResponse, RectifierEvaluateResult, RectifierTrainResult } from '@assay/contracts';
import { JobsClient } from '@assay/messaging';
import { initQHead, qHeadLayout, Rng } from '@assay/stats';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { qHeadConfig, writeQArtifactDir } from '../src/q-artifact';
import { RectifierModule } from '../src/rectifier.module';

const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'far', 'zorp', 'blick', 'sun'];
const texts = Array.from({ length: 200 }, (_, i) => Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 5 + ((i * k) % 3)) % WORDS.length]).join(' '));
const prompts = texts.slice(0, 24).map((t) => t.split(' ').slice(0, 3).join(' '));
const METRIC = { kind: 'regex', pattern: 'zorp|blick' };

describe('rectifier service (real NATS, S3 server, onnxruntime)', () => {
  const harness = new PlatformHarness('rectifier');
  let jobs: JobsClient;
  let url: string;
  let trained: RectifierTrainResult;
  const post = (route: string, body: unknown) =>
    fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    await harness.start();
    const dir = await forgeTinyModel({ texts, vocabSize: 300, dim: 32, layers: 1, heads: 2, contextLength: 64, seed: 2 });
    await harness.registry.push(dir, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    await harness.startService(RectifierModule, 'rectifier');
    url = await harness.url('rectifier');
  }, 120_000);
  afterAll(() => harness.close());

  it('trains a Q_D artifact over NATS (progress, checkpoints) that names its L', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.rectifier.train', {
      model: 'tiny-l',
      name: 'tiny-q',
      prompts,
      metric: METRIC,
      rolloutsPerPrompt: 4,
      maxNewTokens: 4,
      hidden: 16,
      epochs: 3,
      batchSize: 16,
      checkpointEvery: 2,
      epsilon: 0.5,
    });
    expect(accepted.statusUrl).toBe(`/v1/rectifiers/jobs/${accepted.jobId}`);
    trained = await jobs.result<RectifierTrainResult>(accepted.jobId, { waitMs: 120_000 });
    expect(trained).toMatchObject({ model: 'tiny-q', base: 'tiny-l@1' });
    expect(trained.report).toMatchObject({ steps: expect.any(Number), rollouts: { trajectories: 96 } });
    const manifest = await harness.registry.show('tiny-q', trained.version);
    expect(manifest.provenance).toMatchObject({ kind: 'trained-head', parent: { name: 'tiny-l', version: '1' } });
    expect(manifest.files.map((f) => f.path).sort()).toEqual(['config.json', 'model.onnx', 'q-head.bin']);
    const status = await (await fetch(`${url}${accepted.statusUrl}`, { headers: { 'x-api-key': 'test-key' } })).json();
    expect(status).toMatchObject({ status: 'succeeded', progress: { fraction: 1 } });
  });

  it('generates rectified completions over HTTP and NATS with diagnostics and the sampled distribution\'s log-probs', async () => {
    const body = { model: 'tiny-l', rectifier: 'tiny-q', prompts: prompts.slice(0, 3), n: 2, maxNewTokens: 6, seed: 5 };
    const response = await post('/v1/rectified/generate', body);
    expect(response.status).toBe(200);
    const result = (await response.json()) as RectifiedGenerateResponse;
    expect(result).toMatchObject({ model: 'tiny-l', version: '1', rectifier: `tiny-q@${trained.version}`, epsilon: 0.5, capMode: 'relative' });
    expect(result.completions).toHaveLength(6);
    for (const c of result.completions) {
      expect(c.rectification).toEqual({ tokensCapped: expect.any(Number), massMoved: expect.any(Number), deadEndSteps: expect.any(Number) });
      for (const t of c.tokens) expect(t.samplingLogprob).toBeLessThanOrEqual(0);
    }
    const overNats = await harness.rpc.request<RectifiedGenerateResponse>('assay.rectifier.generate', body);
    expect(overNats.completions.map((c) => c.text)).toEqual(result.completions.map((c) => c.text));
  });

  it('streams tokens, then done with the same completions', async () => {
    const body = { model: 'tiny-l', rectifier: 'tiny-q', prompts: prompts.slice(0, 2), maxNewTokens: 5, seed: 9, epsilon: 0.3 };
    const response = await post('/v1/rectified/generate/stream', body);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('event:')).map((e) => ({ type: e.split('\n')[0].slice(7), data: JSON.parse(e.split('\n')[1].slice(6)) }));
    const done = events.find((e) => e.type === 'done')!.data as RectifiedGenerateResponse;
    const tokens = events.filter((e) => e.type === 'token').map((e) => e.data as { promptIndex: number; id: number });
    expect(tokens.length).toBe(done.completions.reduce((s, c) => s + c.tokens.length, 0));
    const plain = (await (await post('/v1/rectified/generate', body)).json()) as RectifiedGenerateResponse;
    expect(done.completions.map((c) => c.text)).toEqual(plain.completions.map((c) => c.text));
  });

  it('answers bad input with the error envelope: ε out of range, unknown artifact, a Q head of another vocabulary', async () => {
    const bad = await post('/v1/rectified/generate', { model: 'tiny-l', rectifier: 'tiny-q', prompts: ['the'], epsilon: 1.5 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const unknown = await post('/v1/rectified/generate', { model: 'tiny-l', rectifier: 'no-such-q', prompts: ['the'] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    const unknownModel = await post('/v1/rectified/generate', { model: 'no-such-l', rectifier: 'tiny-q', prompts: ['the'] });
    expect(unknownModel.status).toBe(404);

    // A head for a 500-token vocabulary that claims tiny-l as its base: refused when loaded against tiny-l.
    const layout = qHeadLayout({ inDim: 32, hidden: 4, vocab: 500 });
    const dir = await mkdtemp(path.join(tmpdir(), 'bad-q-'));
    const base = { name: 'tiny-l', version: '1', tokenizerSha256: '', vocabSize: 500, hiddenSize: 32 };
    await writeQArtifactDir(dir, qHeadConfig(layout, base, { epsilon: 0.1, capMode: 'absolute' }), layout, initQHead(layout, new Rng(1)));
    await harness.registry.push(dir, { name: 'wrong-vocab-q', version: '1', provenance: { kind: 'trained-head' } });
    const mismatch = await post('/v1/rectified/generate', { model: 'tiny-l', rectifier: 'wrong-vocab-q', prompts: ['the'] });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { message: string }).message).toMatch(/vocabular/);
  });

  it('evaluates base L and an ε sweep, with an HTML report', async () => {
    const accepted = (await (await post('/v1/rectifiers/evaluations', { rectifier: 'tiny-q', prompts: prompts.slice(0, 10), metric: METRIC, samplesPerPrompt: 4, maxNewTokens: 4, epsilons: [0.3, 0.7] })).json()) as JobAccepted;
    const result = await jobs.result<RectifierEvaluateResult>(accepted.jobId, { waitMs: 120_000 });
    expect(result.model).toBe('tiny-l@1');
    expect(result.sweep.map((s) => s.epsilon)).toEqual([0.3, 0.7]);
    for (const m of [result.base, ...result.sweep]) {
      expect(m).toMatchObject({ prompts: 10, samples: 40, scoringFailures: 0 });
      expect(m.ppl).toBeGreaterThan(1);
      expect(m.dist2).toBeGreaterThan(0);
    }
    expect(result.base.rectification).toBeUndefined();
    expect(result.sweep[1].rectification).toBeDefined();
    const html = await fetch(`${url}/v1/rectifiers/evaluations/${accepted.jobId}/report.html`, { headers: { 'x-api-key': 'test-key' } });
    expect(html.status).toBe(200);
    const page = await html.text();
    expect(page).toContain('<svg');
    expect(page).toContain('Toxicity probability vs ε');
  });
});
