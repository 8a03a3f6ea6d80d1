import { referenceForward } from '@assay/forge';
import { initQHead, qHeadLayout, rectifyLogits, Rng } from '@assay/stats';
import { Completion, GenerateRequest, LocalEngine, qValues, readModelBundle, RectifyOptions } from '@assay/runtime';
import { kindOf, newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

/**
 * Rectified decoding inside the runtime's decode loop: the Q head reads L's final hidden state of every step,
 * so it rides on L's KV cache. A cached run must equal a full recomputation (a model exported without a cache),
 * batching and concurrency must not change a row, seeds reproduce, and every token's samplingLogprob is the log
 * of its probability under the capped, renormalised distribution (checked against forge's float64 reference
 * forward pass and an independent water-filling).
 */
const TOLERANCE = 1e-4;
const PROMPTS = ['the cat sat', 'a', 'Hello there, in the end', 'on'];

/** A random Q head with widely spread values (Q from ≈ −0.98 to ≈ −0.02), so many tokens get capped. */
function randomHead(dim: number, vocab: number, hidden: number, seed: number): RectifyOptions['head'] {
  const layout = qHeadLayout({ inDim: dim, hidden, vocab });
  const rng = new Rng(seed);
  const params = initQHead(layout, rng);
  const last = layout.layers[layout.layers.length - 1];
  for (let a = 0; a < vocab; a++) params[last.oB + a] = rng.next() * 8 - 4;
  return { inDim: dim, hidden, vocab, params };
}

function ids(c: Completion): number[] {
  return c.tokens.map((t) => t.id);
}

function expectSame(a: Completion, b: Completion): void {
  expect(ids(a)).toEqual(ids(b));
  expect(a.text).toBe(b.text);
  a.tokens.forEach((t, i) => {
    expect(Math.abs(t.logprob - b.tokens[i].logprob)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(t.samplingLogprob - b.tokens[i].samplingLogprob)).toBeLessThanOrEqual(TOLERANCE);
  });
  expect(a.rectification).toBeDefined();
  expect(a.rectification!.tokensCapped).toBe(b.rectification!.tokensCapped);
  expect(a.rectification!.deadEndSteps).toBe(b.rectification!.deadEndSteps);
  expect(Math.abs(a.rectification!.massMoved - b.rectification!.massMoved)).toBeLessThanOrEqual(1e-3);
}

describe('rectified generate', () => {
  let engine: LocalEngine;
  let cached: TestModel;
  let head: RectifyOptions['head'];
  const gen = (model: string, request: Omit<GenerateRequest, 'model'>) => engine.generate({ model, ...request });

  beforeAll(async () => {
    engine = newTestEngine();
    cached = await newTestModel({ seed: 5, contextLength: 96 });
    const uncached = await newTestModel({ seed: 5, contextLength: 96, withPast: false });
    await engine.loadModel('tiny', cached.dir);
    await engine.loadModel('tiny-nocache', uncached.dir);
    const info = (await engine.listModels()).find((m) => m.name === 'tiny')!;
    head = randomHead(info.hiddenSize, info.vocabSize, 16, 9);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('with the KV cache equals a full recomputation, and caps tokens', async () => {
    for (const sampling of [{ temperature: 0 }, { temperature: 1, seed: 42 }, { temperature: 0.8, topK: 20, topP: 0.9, seed: 3 }]) {
      const rectify = { head, epsilon: 0.1 };
      const a = await gen('tiny', { prompts: PROMPTS, maxNewTokens: 16, rectify, ...sampling });
      const b = await gen('tiny-nocache', { prompts: PROMPTS, maxNewTokens: 16, rectify, ...sampling });
      a.completions.forEach((c, i) => expectSame(c, b.completions[i]));
      expect(a.completions.reduce((s, c) => s + c.rectification!.tokensCapped, 0)).toBeGreaterThan(0);
      expect(a.completions.reduce((s, c) => s + c.rectification!.massMoved, 0)).toBeGreaterThan(0);
    }
  });

  it('batched equals unbatched and concurrent; seeds reproduce; a plain request in the same batch is unaffected', async () => {
    const rectify = { head, epsilon: 0.2, mode: 'relative' as const };
    const sampling = { temperature: 1, seed: 11, maxNewTokens: 12 };
    const batched = await gen('tiny', { prompts: PROMPTS, rectify, ...sampling });
    const [concurrent, plainConcurrent] = await Promise.all([
      Promise.all(PROMPTS.map((p) => gen('tiny', { prompts: [p], rectify, ...sampling }))),
      Promise.all(PROMPTS.map((p) => gen('tiny', { prompts: [p], ...sampling }))),
    ]);
    for (const [i, prompt] of PROMPTS.entries()) {
      const alone = await gen('tiny', { prompts: [prompt], rectify, ...sampling });
      expectSame(batched.completions[i], alone.completions[0]);
      expectSame(concurrent[i].completions[0], alone.completions[0]);
      const plainAlone = await gen('tiny', { prompts: [prompt], ...sampling });
      expect(ids(plainConcurrent[i].completions[0])).toEqual(ids(plainAlone.completions[0]));
      expect(plainAlone.completions[0].rectification).toBeUndefined();
    }
    const again = await gen('tiny', { prompts: PROMPTS, rectify, ...sampling });
    again.completions.forEach((c, i) => expectSame(c, batched.completions[i]));
  });

  it('samplingLogprob is the log of the capped, renormalised probability (float64 reference forward + independent water-filling)', async () => {
    const bundle = await readModelBundle(cached.dir);
    const epsilon = 0.15;
    const result = await gen('tiny', { prompts: PROMPTS.slice(0, 2), maxNewTokens: 8, temperature: 0.9, seed: 5, rectify: { head, epsilon } });
    let checked = 0;
    let capped = 0;
    for (const [i, prompt] of PROMPTS.slice(0, 2).entries()) {
      const promptIds = [bundle.shape.bosTokenId!, ...bundle.tokenizer.encode(prompt)];
      const completion = result.completions[i];
      const all = [...promptIds, ...ids(completion)];
      const ref = referenceForward(cached.weights, { inputIds: [all] });
      completion.tokens.forEach((token, t) => {
        const pos = promptIds.length - 1 + t;
        const logits = Array.from(ref.logits.subarray(pos * ref.vocab, (pos + 1) * ref.vocab), (v) => v / 0.9);
        const q = qValues(head, ref.hiddenStates, pos * ref.dim);
        const r = rectifyLogits(logits, q, { epsilon });
        expect(Math.abs(token.samplingLogprob - r.logProbs[token.id])).toBeLessThanOrEqual(1e-3);
        // Never above the token's cap (the feasible case).
        if (!r.deadEnd) expect(Math.exp(token.samplingLogprob)).toBeLessThanOrEqual(Math.max(1 + q[token.id] - epsilon, 1e-7) + 1e-3);
        if (r.tokensCapped > 0) capped++;
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(4);
    expect(capped).toBeGreaterThan(0);
  });

  it('epsilon 0 with a head of Q ≡ 0 (bias +∞ side) leaves plain sampling unchanged', async () => {
    const info = (await engine.listModels()).find((m) => m.name === 'tiny')!;
    const zero = randomHead(info.hiddenSize, info.vocabSize, 0, 1);
    zero.params.fill(0);
    const last = qHeadLayout(zero).layers[0];
    zero.params.fill(-60, last.oB, last.oB + zero.vocab); // Q = −σ(−60) ≈ −1e-26: 1 + Q − 0 rounds to 1
    const plain = await gen('tiny', { prompts: PROMPTS, maxNewTokens: 10, temperature: 1, seed: 8 });
    const rect = await gen('tiny', { prompts: PROMPTS, maxNewTokens: 10, temperature: 1, seed: 8, rectify: { head: zero, epsilon: 0 } });
    rect.completions.forEach((c, i) => {
      expect(ids(c)).toEqual(ids(plain.completions[i]));
      expect(c.rectification!.tokensCapped).toBe(0);
      c.tokens.forEach((t, k) => expect(Math.abs(t.samplingLogprob - plain.completions[i].tokens[k].samplingLogprob)).toBeLessThanOrEqual(1e-6));
    });
  });

  it('refuses a Q head of another vocabulary or hidden size, and epsilon outside [0, 1]', async () => {
    const info = (await engine.listModels()).find((m) => m.name === 'tiny')!;
    const wrongVocab = randomHead(info.hiddenSize, info.vocabSize + 3, 8, 2);
    expect(await kindOf(gen('tiny', { prompts: ['a'], rectify: { head: wrongVocab, epsilon: 0.1 } }))).toBe('VOCAB_MISMATCH');
    const wrongDim = randomHead(info.hiddenSize + 1, info.vocabSize, 8, 2);
    expect(await kindOf(gen('tiny', { prompts: ['a'], rectify: { head: wrongDim, epsilon: 0.1 } }))).toBe('VOCAB_MISMATCH');
    for (const epsilon of [-0.1, 1.5, Number.NaN]) expect(await kindOf(gen('tiny', { prompts: ['a'], rectify: { head, epsilon } }))).toBe('INVALID_REQUEST');
  });

  it('streams rectified tokens exactly as the final result', async () => {
    const streamed: { promptIndex: number; index: number; id: number; samplingLogprob: number }[] = [];
    const result = await engine.generateStream({ model: 'tiny', prompts: PROMPTS, maxNewTokens: 8, temperature: 1, seed: 4, rectify: { head, epsilon: 0.1 } }, (t) => streamed.push(t));
    for (const c of result.completions) {
      const mine = streamed.filter((t) => t.promptIndex === c.promptIndex).sort((x, y) => x.index - y.index);
      expect(mine.map((t) => t.id)).toEqual(ids(c));
      expect(mine.map((t) => t.samplingLogprob)).toEqual(c.tokens.map((t) => t.samplingLogprob));
    }
  });
});
