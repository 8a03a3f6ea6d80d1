import { referenceForward } from '@assay/forge';
import { LocalEngine, logSoftmax, readModelBundle, RuntimeError, ScoreItem, TextTokenizer } from '@assay/runtime';
import { newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

const TOLERANCE = 1e-4;

describe('score', () => {
  let engine: LocalEngine;
  let model: TestModel;
  let tokenizer: TextTokenizer;
  const score = (items: ScoreItem[], options: { addBos?: boolean; truncateContext?: boolean } = {}) => engine.score({ model: 'tiny', items, ...options });

  beforeAll(async () => {
    engine = newTestEngine();
    model = await newTestModel({ seed: 4, contextLength: 48 });
    tokenizer = (await readModelBundle(model.dir)).tokenizer;
    await engine.loadModel('tiny', model.dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('scores exactly the continuation tokens, against the float64 reference model', async () => {
    const [result] = (await score([{ context: 'the cat', continuation: ' sat on' }])).results;
    const context = tokenizer.encode('the cat');
    const continuation = tokenizer.encode(' sat on');
    expect(result.tokens.map((t) => t.id)).toEqual(continuation);
    expect(result.tokens.map((t) => t.text).join('')).toBe(' sat on');
    expect(result.numTokens).toBe(continuation.length);
    expect(result.contextTokens).toBe(context.length);
    const sequence = [model.eosTokenId, ...context, ...continuation];
    const ref = referenceForward(model.weights, { inputIds: [sequence] });
    const V = ref.vocab;
    continuation.forEach((id, i) => {
      const position = context.length + i; // logits at the token before continuation[i]
      const expected = logSoftmax(ref.logits, position * V, V)[id];
      expect(Math.abs(result.tokens[i].logprob - expected)).toBeLessThanOrEqual(TOLERANCE);
    });
    expect(result.sumLogprob).toBeCloseTo(
      result.tokens.reduce((s, t) => s + t.logprob, 0),
      10,
    );
  });

  it('batched pairs of different lengths equal one-by-one scoring (padding is invisible)', async () => {
    const items: ScoreItem[] = [
      { context: 'Hello there, in the end', continuation: ' we' },
      { context: 'a', continuation: ' cat in the hat' },
      { continuation: 'the start' },
      { context: 'on the', continuationIds: [5, 6, 7, 8] },
    ];
    const batched = await score(items);
    for (const [i, item] of items.entries()) {
      const [alone] = (await score([item])).results;
      expect(batched.results[i].tokens.map((t) => t.id)).toEqual(alone.tokens.map((t) => t.id));
      batched.results[i].tokens.forEach((t, j) => expect(Math.abs(t.logprob - alone.tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE));
    }
  });

  it("generate's per-token log-probs equal score's for the same continuation (ids, and text when it re-encodes the same)", async () => {
    const prompts = ['the cat', 'Hello there', 'a'];
    const generated = await engine.generate({ model: 'tiny', prompts, n: 3, maxNewTokens: 16, temperature: 1.1, topK: 40, seed: 13 });
    const byIds = await score(generated.completions.map((c) => ({ context: prompts[c.promptIndex], continuationIds: c.tokens.map((t) => t.id) })));
    generated.completions.forEach((c, i) => {
      expect(byIds.results[i].tokens.map((t) => t.id)).toEqual(c.tokens.map((t) => t.id));
      expect(byIds.results[i].tokens.map((t) => t.text)).toEqual(c.tokens.map((t) => t.text));
      c.tokens.forEach((t, j) => expect(Math.abs(t.logprob - byIds.results[i].tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE));
    });

    const reencodable = generated.completions.filter((c) => c.finishReason === 'length' && tokenizer.encode(c.text).join() === c.tokens.map((t) => t.id).join());
    expect(reencodable.length).toBeGreaterThan(0);
    const byText = await score(reencodable.map((c) => ({ context: prompts[c.promptIndex], continuation: c.text })));
    reencodable.forEach((c, i) => {
      c.tokens.forEach((t, j) => expect(Math.abs(t.logprob - byText.results[i].tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE));
    });
  });

  it('flags continuations that greedy decoding would produce', async () => {
    const greedy = await engine.generate({ model: 'tiny', prompts: ['the'], maxNewTokens: 6, temperature: 0, stopOnEos: false });
    const ids = greedy.completions[0].tokens.map((t) => t.id);
    const [same, other] = (await score([{ context: 'the', continuationIds: ids }, { context: 'the', continuationIds: [...ids.slice(0, 5), (ids[5] + 1) % 100] }]))
      .results;
    expect(same.isGreedy).toBe(true);
    expect(other.isGreedy).toBe(false);
  });

  it('tokenization boundary: empty context conditions on BOS; addBos false drops BOS only when there is context', async () => {
    const [empty, emptyNoBos] = [(await score([{ continuation: 'the' }])).results[0], (await score([{ continuation: 'the' }], { addBos: false })).results[0]];
    expect(emptyNoBos.tokens.map((t) => t.logprob)).toEqual(empty.tokens.map((t) => t.logprob));
    const first = tokenizer.encode('the')[0];
    const ref = referenceForward(model.weights, { inputIds: [[model.eosTokenId]] });
    expect(Math.abs(empty.tokens[0].logprob - logSoftmax(ref.logits)[first])).toBeLessThanOrEqual(TOLERANCE);

    const withBos = (await score([{ context: 'on', continuation: ' the' }])).results[0];
    const withoutBos = (await score([{ context: 'on', continuation: ' the' }], { addBos: false })).results[0];
    expect(withoutBos.tokens.map((t) => t.id)).toEqual(withBos.tokens.map((t) => t.id));
    expect(withoutBos.sumLogprob).not.toBeCloseTo(withBos.sumLogprob, 6);
  });

  it('over-long pairs fail clearly unless truncateContext is set', async () => {
    const long = { context: 'abcdefghij'.repeat(5), continuation: ' the end' };
    const error = await score([long]).catch((e: RuntimeError) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).kind).toBe('CONTEXT_OVERFLOW');
    expect((error as RuntimeError).message).toContain('truncateContext');
    const [cut] = (await score([long], { truncateContext: true })).results;
    const continuation = tokenizer.encode(' the end');
    expect(cut.tokens.map((t) => t.id)).toEqual(continuation);
    expect(cut.contextTokens + cut.truncatedContextTokens).toBe(tokenizer.encode(long.context).length);
    expect(1 + cut.contextTokens + continuation.length).toBe(48);
    // Same as scoring the kept context directly.
    const kept = tokenizer.decode(tokenizer.encode(long.context).slice(cut.truncatedContextTokens));
    const [direct] = (await score([{ context: kept, continuation: ' the end' }])).results;
    expect(Math.abs(direct.sumLogprob - cut.sumLogprob)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('hiddenStates', () => {
  let engine: LocalEngine;
  let model: TestModel;

  beforeAll(async () => {
    engine = newTestEngine();
    model = await newTestModel({ seed: 6, dim: 24, heads: 3 });
    await engine.loadModel('tiny', model.dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('last-token and mean pooling equal the reference hidden states; batching does not change them', async () => {
    const tokenizer = (await readModelBundle(model.dir)).tokenizer;
    const texts = ['the cat sat', 'a', 'Hello there'];
    const last = await engine.hiddenStates({ model: 'tiny', texts });
    const mean = await engine.hiddenStates({ model: 'tiny', texts, pooling: 'mean' });
    const tokens = await engine.hiddenStates({ model: 'tiny', texts, pooling: 'tokens' });
    expect(last.hiddenSize).toBe(24);
    texts.forEach((text, i) => {
      const ids = [model.eosTokenId, ...tokenizer.encode(text)];
      const ref = referenceForward(model.weights, { inputIds: [ids] }).hiddenStates;
      const D = 24;
      const row = (t: number) => ref.subarray(t * D, (t + 1) * D);
      const expectedMean = new Float64Array(D);
      for (let t = 1; t < ids.length; t++) row(t).forEach((v, d) => (expectedMean[d] += v / (ids.length - 1)));
      last.vectors[i].forEach((v, d) => expect(Math.abs(v - row(ids.length - 1)[d])).toBeLessThanOrEqual(TOLERANCE));
      mean.vectors[i].forEach((v, d) => expect(Math.abs(v - expectedMean[d])).toBeLessThanOrEqual(TOLERANCE));
      expect(tokens.rows[i]).toBe(ids.length - 1);
      tokens.vectors[i].forEach((v, k) => expect(Math.abs(v - ref[D + k])).toBeLessThanOrEqual(TOLERANCE));
    });
  });
});
