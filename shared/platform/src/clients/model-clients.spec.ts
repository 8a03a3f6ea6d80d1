import { AssayError, Completion } from '@assay/contracts';
import type { RpcClient } from '@assay/messaging';
import { derivedSeed, GenerationClient } from './generation.client';
import { LikelihoodClient } from './likelihood.client';

type Call = { subject: string; request: { prompts?: string[]; seed?: number; model: string } };

/** An RpcClient whose only method is `call`; any other use fails the test. */
function fakeRpc(answer: (call: Call) => unknown) {
  const calls: Call[] = [];
  const rpc = {
    call: async (subject: string, request: Call['request']) => {
      calls.push({ subject, request });
      const reply = answer({ subject, request });
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as RpcClient;
  return { rpc, calls };
}

const completion = (promptIndex: number, text: string): Completion => ({ promptIndex, sampleIndex: 0, text, tokens: [], finishReason: 'eos' });

describe('the model services clients', () => {
  it('derive one seed per index, the same for VALID draws and audit positions, wrapping at 2^32', () => {
    expect(derivedSeed(1000, 0)).toBe(1000);
    expect(derivedSeed(1000, 3)).toBe(1000 + 3 * 7919);
    expect(derivedSeed(2 ** 32 - 1, 1)).toBe(7918);
    // The two formulas the certifier and the auditor used before agree with it.
    for (const [seed, t] of [[5, 9], [4_000_000_000, 70_000]]) {
      expect(derivedSeed(seed, t)).toBe((seed + t * 7919) >>> 0);
      expect(derivedSeed(seed, t)).toBe((seed + Math.imul(t, 7919)) >>> 0);
    }
  });

  it('completeEach cuts prompts to the batch cap, seeds each request by its first prompt’s position, keeps order', async () => {
    const { rpc, calls } = fakeRpc(({ request }) => ({ model: 'm', version: '1', usage: { inputTokens: 0, outputTokens: 0 }, completions: request.prompts!.map((p, i) => completion(i, p.toUpperCase())) }));
    const out = await new GenerationClient(rpc, { maxBatch: 2 }).completeEach('m', ['a', 'b', 'c', 'd', 'e'], 10, { maxNewTokens: 4, temperature: 1, seed: 7 });
    expect(out.map((c) => c?.text)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(calls.map((c) => [c.subject, c.request.prompts, c.request.seed])).toEqual([
      ['assay.generation.generate', ['a', 'b'], derivedSeed(7, 10)],
      ['assay.generation.generate', ['c', 'd'], derivedSeed(7, 12)],
      ['assay.generation.generate', ['e'], derivedSeed(7, 14)],
    ]);
  });

  it('completeEach never sends two copies of a prompt in one request: later copies go to later requests, each seeded by its first position', async () => {
    const { rpc, calls } = fakeRpc(({ request }) => ({ model: 'm', version: '1', usage: { inputTokens: 0, outputTokens: 0 }, completions: request.prompts!.map((p, i) => completion(i, `${p}@${request.seed}`)) }));
    const out = await new GenerationClient(rpc, { maxBatch: 2 }).completeEach('m', ['a', 'b', 'a', 'c', 'a', 'b'], 10, { maxNewTokens: 4, temperature: 1, seed: 7 });
    expect(calls.map((c) => [c.request.prompts, c.request.seed])).toEqual([
      [['a', 'b'], derivedSeed(7, 10)],
      [['c'], derivedSeed(7, 13)],
      [['a', 'b'], derivedSeed(7, 12)],
      [['a'], derivedSeed(7, 14)],
    ]);
    expect(out.map((c) => c?.text)).toEqual([`a@${derivedSeed(7, 10)}`, `b@${derivedSeed(7, 10)}`, `a@${derivedSeed(7, 12)}`, `c@${derivedSeed(7, 13)}`, `a@${derivedSeed(7, 14)}`, `b@${derivedSeed(7, 12)}`]);
  });

  it('isolates refused prompts: a refused request is retried prompt by prompt, only the bad prompt comes back null', async () => {
    const { rpc } = fakeRpc(({ request }) =>
      request.prompts!.includes('too long') ? AssayError.badRequest('prompt longer than the context') : { model: 'm', version: '1', usage: { inputTokens: 0, outputTokens: 0 }, completions: request.prompts!.map((p, i) => completion(i, p)) },
    );
    const client = new GenerationClient(rpc, { maxBatch: 8 });
    const sampling = { maxNewTokens: 4, temperature: 1, seed: 1 };
    expect((await client.completeEach('m', ['ok', 'too long', 'fine'], 0, sampling, { isolateRefusals: true })).map((c) => c?.text ?? null)).toEqual(['ok', null, 'fine']);
    await expect(client.completeEach('m', ['too long'], 0, sampling, { isolateRefusals: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.completeEach('m', ['ok', 'too long'], 0, sampling)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('map the services’ errors in one way: the code is kept, the message names the service and the model', async () => {
    const { rpc } = fakeRpc(() => AssayError.notFound('unknown model "ghost"', { model: 'ghost' }));
    const generation = new GenerationClient(rpc, { maxBatch: 8 }).generate({ model: 'ghost', prompts: ['x'] });
    await expect(generation).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'generation (model ghost): unknown model "ghost"', details: { model: 'ghost', service: 'generation' } });
    const scoring = new LikelihoodClient(rpc).score('ghost', [{ continuationIds: [1, 2] }]);
    await expect(scoring).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'likelihood (model ghost): unknown model "ghost"' });
    const timeout = new LikelihoodClient(fakeRpc(() => AssayError.timeout('no reply from assay.likelihood.score within 5 ms')).rpc).score('g', [{ continuation: 'y' }]);
    await expect(timeout).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/^likelihood \(model g\): no reply/) });
  });
});
