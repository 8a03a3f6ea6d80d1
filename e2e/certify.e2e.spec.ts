import fs from 'node:fs';
import path from 'node:path';
import { CertifyResponse, CertifyResponseSchema, Completion, GenerateResponse, REFUSAL_TEXT, ScoreResponse } from '@assay/contracts';
import { TextTokenizer } from '@assay/runtime';
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
  // Random-weight L draws token sequences a trained model would not: most long ones are not the canonical
  // spelling of their text (lone UTF-8 bytes, split merges) and are rejected, so answers here are short.
  const base = { model: 'tiny-l', guide: 'tiny-g', prompt: 'ROMEO:', maxNewTokens: 2, seed: 11 };
  let largeTokenizer: TextTokenizer;

  const certify = (overrides: Record<string, unknown>) => harness.rpc.request<CertifyResponse>('assay.certifier.certify', { ...base, ...overrides });
  /** The T completions batched certification draws (same model, prompt, seed and n). */
  const draws = async (T: number, seed = base.seed, maxNewTokens = base.maxNewTokens) =>
    (await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: base.model, prompts: [base.prompt], n: T, maxNewTokens, seed })).completions;
  const responseIds = (c: Completion) => (c.finishReason === 'eos' ? c.tokens.slice(0, -1) : c.tokens).map((t) => t.id);
  /** Whether re-encoding the draw's text gives back its tokens: the only draws the certifier may accept. */
  const canonical = (c: Completion) => c.text.length > 0 && JSON.stringify(largeTokenizer.encode(c.text)) === JSON.stringify(responseIds(c));

  beforeAll(async () => {
    await harness.start();
    process.env.ASSAY_CERTIFIER_MAX_T = String(MAX_T);
    const texts = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 40_000).split('\n\n');
    const [large, guide, other, short, shortOther] = await Promise.all([
      forgeTinyModel({ texts, vocabSize: 300, seed: 1 }),
      forgeTinyModel({ texts, vocabSize: 300, seed: 2 }),
      forgeTinyModel({ texts, vocabSize: 280, seed: 3 }),
      forgeTinyModel({ texts, vocabSize: 300, seed: 4, contextLength: 4 }),
      forgeTinyModel({ texts, vocabSize: 280, seed: 5, contextLength: 4 }),
    ]);
    largeTokenizer = TextTokenizer.fromJson(JSON.parse(fs.readFileSync(path.join(large, 'tokenizer.json'), 'utf8')));
    await harness.registry.push(large, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'tiny-g', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(other, { name: 'other-g', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(short, { name: 'short-g', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(shortOther, { name: 'short-other-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
  }, 150_000);
  afterAll(() => harness.close());

  it('accepts the first canonical draw with a certificate k·N + log2 T + log2 G(y), G scored on BOS + y only', async () => {
    const response = await certify({ k: 64, T: 8, mode: 'batched' });
    expect(CertifyResponseSchema.parse(response)).toEqual(response); // every number finite
    expect(response.status).toBe('accepted');
    expect(response.attempts).toHaveLength(8);
    const all = await draws(8);
    const first = all.find(canonical)!;
    const firstIndex = all.indexOf(first);
    // Every draw before it was rejected for its spelling, and said so.
    expect(response.attempts.slice(0, firstIndex).map((a) => a.rejection)).toEqual(all.slice(0, firstIndex).map((c) => (c.text ? 'not-canonical' : 'empty')));
    expect(response.text).toBe(first.text);
    const ids = responseIds(first);
    const guide = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'tiny-g', items: [{ context: '', continuationIds: ids }] });
    const cert = response.certificate!;
    expect(cert).toMatchObject({ nTokens: ids.length, k: 64, T: 8, tokenizersMatch: true, vacuous: true });
    expect(cert.log2G).toBeCloseTo(guide.results[0].sumLogprob / LN2, 6);
    expect(cert.log2L).toBeCloseTo(first.tokens.slice(0, ids.length).reduce((s, t) => s + t.samplingLogprob, 0) / LN2, 6);
    expect(cert.log2Epsilon).toBeCloseTo(64 * ids.length + 3 + cert.log2G, 6);
    expect(cert.epsilon).toBeCloseTo(2 ** cert.log2Epsilon, -10);
    expect(cert.perTokenLog2Ratio).toHaveLength(ids.length);
    // The bound M(y|x) ≤ ε_y is meaningful: L's own probability of y is below it (accepted ⇒ ratio ≤ k·N).
    expect(cert.log2L).toBeLessThanOrEqual(cert.log2Epsilon);
  });

  it('the certificate is for the text: no accepted text has another spelling, and a U+FFFD fragment is never returned', async () => {
    let accepted = 0;
    for (let seed = 0; seed < 12; seed++) {
      const response = await certify({ k: 64, T: 4, maxNewTokens: 3, seed });
      if (response.status !== 'accepted') continue;
      accepted++;
      expect(response.text).not.toContain('\uFFFD');
      expect(largeTokenizer.encode(response.text)).toHaveLength(response.certificate!.nTokens);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('maxLog2Epsilon rejects draws above the cap (vacuous ones with 0), and says why', async () => {
    const capped = await certify({ k: 64, T: 4, maxLog2Epsilon: 0 });
    expect(capped.status).toBe('abstained');
    for (const a of capped.attempts) if (a.log2Epsilon !== null) expect(a.rejection).toBe('epsilon-cap');
    expect(capped.attempts.some((a) => a.rejection === 'epsilon-cap')).toBe(true);
    await expect(certify({ k: 1, maxLog2Epsilon: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('a draw longer than G\'s context is rejected, never fatal, with one tokenizer and with two', async () => {
    for (const guide of ['short-g', 'short-other-g']) {
      const response = await certify({ guide, k: 64, T: 4, maxNewTokens: 8 });
      expect(CertifyResponseSchema.parse(response)).toEqual(response);
      expect(response.attempts.some((a) => a.rejection === 'guide-context')).toBe(true);
      for (const a of response.attempts.filter((a) => a.rejection === 'guide-context')) expect(a.nTokens).toBeGreaterThan(3);
    }
  });

  it('a subnormal temperature is refused, never certified on made-up log-probabilities', async () => {
    await expect(certify({ k: 64, T: 4, temperature: 5e-324 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('temperature') });
    const url = await harness.url('certifier');
    const http = await fetch(`${url}/v1/certify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ ...base, k: 64, T: 4, temperature: 5e-324 }),
    });
    expect(http.status).toBe(400);
    expect(((await http.json()) as { message: string }).message).toContain('temperature');
    await expect(harness.rpc.request('assay.generation.generate', { model: base.model, prompts: [base.prompt], temperature: 5e-324 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // Greedy stays available, explicitly.
    const greedy = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: base.model, prompts: [base.prompt], temperature: 0, maxNewTokens: 4 });
    expect(greedy.completions[0].tokens.every((t) => t.samplingLogprob === 0 && Number.isFinite(t.logprob))).toBe(true);
  });

  it('abstains with the fixed refusal and leaks no rejected draw, batched and sequential', async () => {
    for (const mode of ['batched', 'sequential'] as const) {
      const response = await certify({ k: -64, T: 4, mode, maxNewTokens: 16 });
      expect(response).toMatchObject({ status: 'abstained', text: REFUSAL_TEXT });
      expect(response.certificate).toBeUndefined();
      expect(response.attempts).toHaveLength(4);
      expect(response.attempts.every((a) => !a.accepted)).toBe(true);
      const seeds = mode === 'batched' ? [base.seed] : [0, 1, 2, 3].map((t) => (base.seed + t * 7919) >>> 0);
      const texts = (await Promise.all(seeds.map((seed) => draws(mode === 'batched' ? 4 : 1, seed, 16)))).flat().map((c) => c.text.trim());
      const distinctive = texts.filter((t) => t.length >= 4);
      expect(distinctive.length).toBeGreaterThan(0);
      const json = JSON.stringify(response);
      for (const text of distinctive) expect(json).not.toContain(text);
    }
  });

  it('sequential mode stops at the first accepted draw', async () => {
    const response = await certify({ k: 64, T: 8, mode: 'sequential' });
    expect(response.status).toBe('accepted');
    expect(response.attempts.at(-1)!.accepted).toBe(true);
    expect(response.attempts.slice(0, -1).every((a) => a.rejection === 'not-canonical' || a.rejection === 'empty')).toBe(true);
    expect(response.certificate!.log2Epsilon).toBeCloseTo(64 * response.certificate!.nTokens + 3 + response.certificate!.log2G, 6);
  });

  it('generation scores the draws under G in the same call (scoreWith) exactly as the likelihood service does', async () => {
    const reply = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: base.model, prompts: [base.prompt], n: 8, maxNewTokens: 6, seed: 5, scoreWith: 'tiny-g' });
    expect(reply.scoredWith).toEqual({ model: 'tiny-g', version: '1', tokenizersMatch: true });
    const scorable = reply.completions.filter((c) => responseIds(c).length > 0);
    expect(scorable.length).toBeGreaterThan(0);
    // The same items in one likelihood call (one batch, as the generation service makes it): the same numbers, bit for bit.
    const guide = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'tiny-g@1', items: scorable.map((c) => ({ context: '', continuationIds: responseIds(c) })) });
    expect(scorable.map((c) => c.scoredWith)).toEqual(guide.results.map((r) => ({ logprobs: r.tokens.map((t) => t.logprob), sumLogprob: r.sumLogprob })));
    for (const c of reply.completions) if (responseIds(c).length === 0) expect(c.scoredWith).toBeNull();
    // Another tokenizer: nothing is scored (L's ids mean other text to G), and the reply says why.
    const other = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: base.model, prompts: [base.prompt], n: 2, maxNewTokens: 2, seed: 5, scoreWith: 'other-g' });
    expect(other.scoredWith).toEqual({ model: 'other-g', version: '1', tokenizersMatch: false });
    expect(other.completions.map((c) => c.scoredWith)).toEqual([null, null]);
    await expect(harness.rpc.request('assay.generation.generate', { model: base.model, prompts: [base.prompt], scoreWith: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('with different tokenizers, G re-tokenizes the text and N_y counts G\'s tokens', async () => {
    const response = await certify({ guide: 'other-g', k: 64, T: 8 });
    expect(response.status).toBe('accepted');
    const cert = response.certificate!;
    expect(cert.tokenizersMatch).toBe(false);
    const guide = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'other-g', items: [{ context: '', continuation: response.text }] });
    expect(cert.nTokens).toBe(guide.results[0].numTokens);
    expect(cert.log2G).toBeCloseTo(guide.results[0].sumLogprob / LN2, 6);
    expect(cert.log2Epsilon).toBeCloseTo(64 * cert.nTokens + 3 + cert.log2G, 6);
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
      body: JSON.stringify({ ...base, k: 64, T: 8 }),
    });
    expect(http.status).toBe(200);
    expect(((await http.json()) as CertifyResponse).status).toBe('accepted');
    const missing = await fetch(`${url}/v1/certify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify({ ...base, model: 'nope', k: 1 }) });
    expect(missing.status).toBe(404);
  });
});
