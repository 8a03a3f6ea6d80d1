import fs from 'node:fs';
import path from 'node:path';
import { CertifyResponse, Completion, GenerateResponse, REFUSAL_TEXT, ScoreResponse } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const SHAKESPEARE = path.resolve(__dirname, '../../shared/data/tinyshakespeare/input.txt');
const LN2 = Math.LN2;
const MAX_T = 8;

/** The certify path end to end: certifier → generation (L) and likelihood (G), over real NATS and onnxruntime. */
describe('certifier service: VALID over generation + likelihood', () => {
  const harness = new PlatformHarness('certify');
  const base = { model: 'tiny-l', guide: 'tiny-g', prompt: 'ROMEO:', maxNewTokens: 16, seed: 11 };

  const certify = (overrides: Record<string, unknown>) => harness.rpc.request<CertifyResponse>('assay.certifier.certify', { ...base, ...overrides });
  /** The T completions batched certification draws (same model, prompt, seed and n). */
  const draws = async (T: number, seed = base.seed) =>
    (await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: base.model, prompts: [base.prompt], n: T, maxNewTokens: base.maxNewTokens, seed })).completions;
  const responseIds = (c: Completion) => (c.finishReason === 'eos' ? c.tokens.slice(0, -1) : c.tokens).map((t) => t.id);

  beforeAll(async () => {
    await harness.start();
    process.env.ASSAY_CERTIFIER_MAX_T = String(MAX_T);
    const texts = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 40_000).split('\n\n');
    const [large, guide, other] = await Promise.all([
      forgeTinyModel({ texts, vocabSize: 300, seed: 1 }),
      forgeTinyModel({ texts, vocabSize: 300, seed: 2 }),
      forgeTinyModel({ texts, vocabSize: 280, seed: 3 }),
    ]);
    await harness.registry.push(large, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'tiny-g', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(other, { name: 'other-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
  }, 150_000);
  afterAll(() => harness.close());

  it('accepts the first draw with a certificate k·N + log2 T + log2 G(y), G scored on BOS + y only', async () => {
    const response = await certify({ k: 64, T: 4, mode: 'batched' });
    expect(response.status).toBe('accepted');
    expect(response.attempts).toHaveLength(4);
    const [first] = await draws(4);
    expect(response.text).toBe(first.text);
    const ids = responseIds(first);
    const guide = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'tiny-g', items: [{ context: '', continuationIds: ids }] });
    const cert = response.certificate!;
    expect(cert).toMatchObject({ nTokens: ids.length, k: 64, T: 4, tokenizersMatch: true });
    expect(cert.log2G).toBeCloseTo(guide.results[0].sumLogprob / LN2, 6);
    expect(cert.log2L).toBeCloseTo(first.tokens.slice(0, ids.length).reduce((s, t) => s + t.samplingLogprob, 0) / LN2, 6);
    expect(cert.log2Epsilon).toBeCloseTo(64 * ids.length + 2 + cert.log2G, 6);
    expect(cert.perTokenLog2Ratio).toHaveLength(ids.length);
    // The bound M(y|x) ≤ ε_y is meaningful: L's own probability of y is below it (accepted ⇒ ratio ≤ k·N).
    expect(cert.log2L).toBeLessThanOrEqual(cert.log2Epsilon);
  });

  it('abstains with the fixed refusal and leaks no rejected draw, batched and sequential', async () => {
    for (const mode of ['batched', 'sequential'] as const) {
      const response = await certify({ k: -64, T: 4, mode });
      expect(response).toMatchObject({ status: 'abstained', text: REFUSAL_TEXT });
      expect(response.certificate).toBeUndefined();
      expect(response.attempts).toHaveLength(4);
      expect(response.attempts.every((a) => !a.accepted)).toBe(true);
      const seeds = mode === 'batched' ? [base.seed] : [0, 1, 2, 3].map((t) => (base.seed + t * 7919) >>> 0);
      const texts = (await Promise.all(seeds.map((seed) => draws(mode === 'batched' ? 4 : 1, seed)))).flat().map((c) => c.text.trim());
      const distinctive = texts.filter((t) => t.length >= 4);
      expect(distinctive.length).toBeGreaterThan(0);
      const json = JSON.stringify(response);
      for (const text of distinctive) expect(json).not.toContain(text);
    }
  });

  it('sequential mode stops at the first accepted draw', async () => {
    const response = await certify({ k: 64, T: 4, mode: 'sequential' });
    expect(response.status).toBe('accepted');
    expect(response.attempts).toHaveLength(1);
    expect(response.certificate!.log2Epsilon).toBeCloseTo(64 * response.certificate!.nTokens + 2 + response.certificate!.log2G, 6);
  });

  it('with different tokenizers, G re-tokenizes the text and N_y counts G\'s tokens', async () => {
    const response = await certify({ guide: 'other-g', k: 64, T: 2 });
    expect(response.status).toBe('accepted');
    const cert = response.certificate!;
    expect(cert.tokenizersMatch).toBe(false);
    const guide = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'other-g', items: [{ context: '', continuation: response.text }] });
    expect(cert.nTokens).toBe(guide.results[0].numTokens);
    expect(cert.log2G).toBeCloseTo(guide.results[0].sumLogprob / LN2, 6);
    expect(cert.log2Epsilon).toBeCloseTo(64 * cert.nTokens + 1 + cert.log2G, 6);
  });

  it('refuses bad input: unknown models NOT_FOUND; k, T, empty prompt and T over the cap BAD_REQUEST', async () => {
    await expect(certify({ model: 'nope', k: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(certify({ guide: 'nope', k: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const bad of [{ k: 65 }, { k: Number.NaN }, { k: 1, T: 0 }, { k: 1, T: 65 }, { k: 1, prompt: '' }, { k: 1, T: 2.5 }]) {
      await expect(certify(bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(certify({ k: 1, T: MAX_T + 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('ASSAY_CERTIFIER_MAX_T') });
    const url = await harness.url('certifier');
    const http = await fetch(`${url}/v1/certify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ ...base, k: 64, T: 1 }),
    });
    expect(http.status).toBe(200);
    expect(((await http.json()) as CertifyResponse).status).toBe('accepted');
    const missing = await fetch(`${url}/v1/certify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify({ ...base, model: 'nope', k: 1 }) });
    expect(missing.status).toBe(404);
  });
});
