import { LocalEngine, RuntimeError } from '@assay/runtime';
import { newTestEngine, newTestModel, removeTestModels } from './fixtures';

const TOLERANCE = 1e-4;
const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'then', 'in', 'end', 'hello'];
const promptOf = (i: number) => WORDS.slice(0, 1 + (i % WORDS.length)).join(' ') + (i >= WORDS.length ? ` ${i}` : '');

describe('micro-batching', () => {
  let engine: LocalEngine;

  beforeAll(async () => {
    engine = newTestEngine({ batching: { windowMs: 20, maxBatchSize: 32 } });
    await engine.loadModel('tiny', (await newTestModel({ seed: 21, contextLength: 64 })).dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  const stats = async () => (await engine.health()).batching;

  it('merges 32 concurrent generate requests into few batches and returns each caller its own result', async () => {
    const before = (await stats()).generate;
    const requests = Array.from({ length: 32 }, (_, i) => ({
      model: 'tiny',
      prompts: [promptOf(i)],
      maxNewTokens: 8 + (i % 5),
      ...(i % 2 === 0 ? { temperature: 0 } : { temperature: 1, seed: i }),
    }));
    const concurrent = await Promise.all(requests.map((r) => engine.generate(r)));
    const after = (await stats()).generate;
    expect(after.requests - before.requests).toBe(32);
    expect(after.batches - before.batches).toBeLessThanOrEqual(2);

    for (const [i, request] of requests.entries()) {
      const alone = (await engine.generate(request)).completions[0];
      const merged = concurrent[i].completions[0];
      expect(merged.tokens.map((t) => t.id)).toEqual(alone.tokens.map((t) => t.id));
      expect(merged.tokens.length).toBeLessThanOrEqual(request.maxNewTokens);
      if (merged.finishReason === 'length') expect(merged.tokens).toHaveLength(request.maxNewTokens);
      merged.tokens.forEach((t, j) => expect(Math.abs(t.logprob - alone.tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE));
    }
  });

  it('merges staggered score requests arriving within the window', async () => {
    const before = (await stats()).score;
    const items = Array.from({ length: 32 }, (_, i) => ({ context: promptOf(i), continuation: ` ${WORDS[(i * 7) % WORDS.length]} end` }));
    const staggered = await Promise.all(
      items.map((item, i) => new Promise((resolve) => setTimeout(resolve, i % 4)).then(() => engine.score({ model: 'tiny', items: [item] }))),
    );
    const after = (await stats()).score;
    expect(after.requests - before.requests).toBe(32);
    expect(after.batches - before.batches).toBeLessThanOrEqual(8);
    const together = await engine.score({ model: 'tiny', items });
    staggered.forEach((r, i) => {
      expect(r.results).toHaveLength(1);
      expect(Math.abs(r.results[0].sumLogprob - together.results[i].sumLogprob)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('on CPU, cuts a scoring batch where padding would pass a quarter of it (long and short pairs run apart)', async () => {
    const before = (await stats()).score.executorCalls;
    const long = WORDS.join(' ');
    const items = [long, 'a', long, 'the', long, 'cat', long, 'on'].map((context) => ({ context, continuation: ' end' }));
    const together = await engine.score({ model: 'tiny', items });
    expect((await stats()).score.executorCalls - before).toBe(2);
    for (const [i, item] of items.entries()) {
      const [alone] = (await engine.score({ model: 'tiny', items: [item] })).results;
      expect(Math.abs(together.results[i].sumLogprob - alone.sumLogprob)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("splits merged work at maxBatchSize; a bad request fails alone and doesn't poison its batch", async () => {
    const small = newTestEngine({ batching: { windowMs: 20, maxBatchSize: 8, maxPaddingFraction: 1 } });
    try {
      await small.loadModel('tiny', (await newTestModel({ seed: 21, contextLength: 64 })).dir);
      const items = Array.from({ length: 20 }, (_, i) => ({ context: promptOf(i), continuation: ' the' }));
      await small.score({ model: 'tiny', items });
      expect((await small.health()).batching.score.executorCalls).toBe(3);

      const calls = [
        small.generate({ model: 'tiny', prompts: ['the cat'], maxNewTokens: 4, temperature: 0 }),
        small.generate({ model: 'tiny', prompts: [''], maxNewTokens: 4 }),
        small.generate({ model: 'tiny', prompts: ['x'.repeat(70)], maxNewTokens: 4 }),
        small.score({ model: 'tiny', items: [{ context: 'a', continuation: ' b' }] }),
        small.score({ model: 'tiny', items: [{ context: 'a' }] }),
        small.generate({ model: 'tiny', prompts: ['on a'], maxNewTokens: 4, temperature: 0 }),
      ];
      const settled = await Promise.allSettled(calls);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      const kinds = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => (s.reason as RuntimeError).kind);
      expect(kinds).toEqual(['INVALID_REQUEST', 'CONTEXT_OVERFLOW', 'INVALID_REQUEST']);
    } finally {
      await small.close();
    }
  });
});
