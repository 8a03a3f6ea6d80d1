import { Completion, GenerateRequest, LocalEngine } from '@assay/runtime';
import { newFamilyModel, newTestEngine, removeTestModels } from './fixtures';

/**
 * Iteration-level batching through the engine and a worker thread, on a Llama-family model: requests that
 * arrive while a batch decodes join it at the next step, finished ones leave, nobody waits for a longer
 * request, and every request gets exactly what it gets alone (same seed).
 */
const TOLERANCE = 1e-5;

function expectSame(a: Completion, b: Completion): void {
  expect(a.tokens.map((t) => t.id)).toEqual(b.tokens.map((t) => t.id));
  expect(a.text).toBe(b.text);
  a.tokens.forEach((t, i) => expect(Math.abs(t.logprob - b.tokens[i].logprob)).toBeLessThanOrEqual(TOLERANCE));
}

describe('continuous batching', () => {
  let engine: LocalEngine;
  const request = (r: Omit<GenerateRequest, 'model'>): GenerateRequest => ({ model: 'llama', stopOnEos: false, ...r });

  beforeAll(async () => {
    engine = newTestEngine({ batching: { windowMs: 2 } });
    await engine.loadModel('llama', (await newFamilyModel('llama', { seed: 4 })).dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('a request arriving mid-decode joins at the next step, finishes first, and gets exactly its solo output', async () => {
    const long = request({ prompts: ['the cat sat on the mat'], maxNewTokens: 80, temperature: 1, seed: 11 });
    const short = request({ prompts: ['a'], maxNewTokens: 6, temperature: 0.9, seed: 3 });
    let longTokens = 0;
    let shortStarted: Promise<{ result: Awaited<ReturnType<LocalEngine['generate']>>; longTokensAtEnd: number }> | undefined;
    const longResult = await engine.generateStream(long, () => {
      longTokens++;
      if (longTokens === 4) shortStarted = engine.generate(short).then((result) => ({ result, longTokensAtEnd: longTokens }));
    });
    const joined = await shortStarted!;
    // The short request was done while the long one still had most of its tokens to go: it did not wait.
    expect(joined.longTokensAtEnd).toBeLessThan(40);
    expectSame(joined.result.completions[0], (await engine.generate(short)).completions[0]);
    expectSame(longResult.completions[0], (await engine.generate(long)).completions[0]);
  });

  it('16 concurrent requests of mixed lengths: each equals its solo run, short ones resolve before long ones', async () => {
    const requests = Array.from({ length: 16 }, (_, i) =>
      request({ prompts: [['the', 'a cat', 'on the mat', 'then in the end'][i % 4]], maxNewTokens: 4 + ((i * 7) % 40), temperature: i % 3 === 0 ? 0 : 1, seed: i }),
    );
    const finished: number[] = [];
    const results = await Promise.all(requests.map((r, i) => new Promise((resolve) => setTimeout(resolve, i % 5)).then(() => engine.generate(r)).then((out) => (finished.push(i), out))));
    const shortest = requests.findIndex((r) => r.maxNewTokens === Math.min(...requests.map((q) => q.maxNewTokens!)));
    const longest = requests.findIndex((r) => r.maxNewTokens === Math.max(...requests.map((q) => q.maxNewTokens!)));
    expect(finished.indexOf(shortest)).toBeLessThan(finished.indexOf(longest));
    for (const [i, r] of requests.entries()) expectSame(results[i].completions[0], (await engine.generate(r)).completions[0]);
  });

  it('n samples of one prompt (shared prefill) equal the same request run with company', async () => {
    const sampled = request({ prompts: ['the cat', 'on'], n: 4, maxNewTokens: 12, temperature: 1, seed: 21 });
    const alone = await engine.generate(sampled);
    const [withCompany] = await Promise.all([engine.generate(sampled), engine.generate(request({ prompts: ['then in the end'], maxNewTokens: 30, temperature: 1, seed: 2 }))]);
    alone.completions.forEach((c, i) => expectSame(withCompany.completions[i], c));
    expect(new Set(alone.completions.slice(0, 4).map((c) => c.text)).size).toBeGreaterThan(1);
  });
});
