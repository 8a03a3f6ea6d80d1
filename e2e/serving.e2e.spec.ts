import fs from 'node:fs';
import path from 'node:path';
import { GenerateResponse, ScoreResponse } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const SHAKESPEARE = path.resolve(__dirname, '../../shared/data/tinyshakespeare/input.txt');

describe('generation + likelihood services (real NATS, S3 server, onnxruntime)', () => {
  const harness = new PlatformHarness('serving');

  beforeAll(async () => {
    await harness.start();
    const text = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 60_000);
    const dir = await forgeTinyModel({ texts: text.split('\n\n'), vocabSize: 300 });
    await harness.registry.push(dir, { name: 'tiny', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
  }, 120_000);
  afterAll(() => harness.close());

  it('generates over NATS and the sampled log-probs equal likelihood scores of the same tokens', async () => {
    const generated = await harness.rpc.request<GenerateResponse>('assay.generation.generate', {
      model: 'tiny',
      prompts: ['ROMEO:'],
      n: 2,
      maxNewTokens: 12,
      seed: 7,
    });
    expect(generated.completions).toHaveLength(2);
    for (const completion of generated.completions) {
      const ids = completion.tokens.map((t) => t.id);
      const scored = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', {
        model: 'tiny@1',
        items: [{ context: 'ROMEO:', continuationIds: ids }],
      });
      const logprobs = scored.results[0].tokens.map((t) => t.logprob);
      completion.tokens.forEach((token, i) => expect(Math.abs(token.logprob - logprobs[i])).toBeLessThan(1e-4));
    }
  });

  it('answers HTTP with the API key, refuses without it, and reports unknown models as NOT_FOUND', async () => {
    const url = await harness.url('generation');
    const body = JSON.stringify({ model: 'tiny', prompts: ['Hello'], maxNewTokens: 4, seed: 1 });
    const denied = await fetch(`${url}/v1/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(denied.status).toBe(401);
    const ok = await fetch(`${url}/v1/generate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as GenerateResponse).completions[0].tokens.length).toBeGreaterThan(0);
    const missing = await fetch(`${url}/v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ model: 'nope', prompts: ['Hello'] }),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('assay_requests_total');
    expect(metrics).toContain('assay_model_loaded{model="tiny@1"} 1');
    // Latency buckets reach the minutes a certification can take; Node's metrics keep their standard names.
    expect(metrics).toMatch(/assay_request_duration_seconds_bucket\{le="600",transport="http",route="POST \/v1\/generate"\} [1-9]/);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(metrics).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(metrics).not.toContain('assay_process_');
    const docs = await fetch(`${url}/docs/openapi.json`);
    expect(((await docs.json()) as { paths: Record<string, unknown> }).paths['/v1/generate']).toBeDefined();
  });
});
