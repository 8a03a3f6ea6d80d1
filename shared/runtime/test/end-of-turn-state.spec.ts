import { referenceForward } from '@assay/forge';
import { Completion, GenerateRequest, LocalEngine, RuntimeError, TextTokenizer } from '@assay/runtime';
import { asciiTokenizerJson, newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

/**
 * generate's endOfTurnToken: each completion's end-of-turn state must be exactly what a full forward pass over
 * prompt + the completion's own tokens (minus an EOS) + the end-of-turn token gives at its last position (forge's
 * float64 reference forward, ≤ 1e-4), whatever ended the completion; and asking for it changes nothing else
 * (tokens, log-probs, per-token states), in a batch or alone, with or without a KV cache, run after run.
 */
const TOLERANCE = 1e-4;
const PROMPTS = ['the cat', 'a', 'on the mat then'];
const END_OF_TEXT = '<|endoftext|>';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const ids = (c: Completion) => c.tokens.map((t) => t.id);

describe('generate with an end-of-turn state', () => {
  let engine: LocalEngine;
  let eosModel: TestModel;
  /** A token the random model samples often, declared EOS (so completions end by EOS, length and stop strings). */
  let eos: number;
  let eosText: string;
  const tokenizer = TextTokenizer.fromJson(asciiTokenizerJson());
  const gen = (model: string, request: Omit<GenerateRequest, 'model'>) => engine.generate({ model, ...request });

  beforeAll(async () => {
    engine = newTestEngine();
    const base = await newTestModel({ seed: 3, contextLength: 64 });
    await engine.loadModel('base', base.dir);
    const free = await gen('base', { prompts: PROMPTS, n: 4, maxNewTokens: 20, temperature: 1, seed: 5, stopOnEos: false });
    const counts = new Map<number, number>();
    for (const id of free.completions.flatMap(ids)) if (tokenizer.decode([id]).length === 1) counts.set(id, (counts.get(id) ?? 0) + 1);
    eos = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    eosText = tokenizer.decode([eos]);
    expect(tokenizer.encode(eosText)).toEqual([eos]);
    eosModel = await newTestModel({ seed: 3, contextLength: 64, eosTokenId: eos });
    await engine.loadModel('eos', eosModel.dir);
    await engine.loadModel('eos-full', (await newTestModel({ seed: 3, contextLength: 64, eosTokenId: eos, withPast: false })).dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  /** Forge's float64 forward over BOS + prompt + tokens + [endOfTurn]: the final state at the last position. */
  function fullForwardState(prompt: string, tokens: number[], endOfTurn: number): number[] {
    const row = [0, ...tokenizer.encode(prompt), ...tokens, endOfTurn];
    const { hiddenStates } = referenceForward(eosModel.weights, { inputIds: [row] });
    const D = hiddenStates.length / row.length;
    return Array.from(hiddenStates.slice((row.length - 1) * D));
  }

  it('is the final state of a full forward over prompt + own tokens + end-of-turn, after EOS, stop string or length', async () => {
    const reasons = new Set<string>();
    let compared = 0;
    for (const endOfTurnToken of [eosText, END_OF_TEXT]) {
      const endOfTurn = tokenizer.encode(endOfTurnToken)[0];
      for (const stop of [[], [' ']]) {
        const request = { prompts: PROMPTS, n: 3, maxNewTokens: 12, temperature: 1, seed: 7, stop };
        const plain = await gen('eos', request);
        const out = await gen('eos', { ...request, endOfTurnToken });
        out.completions.forEach((c, i) => {
          // Asking for the state changes nothing else.
          expect(ids(c)).toEqual(ids(plain.completions[i]));
          expect(c.text).toBe(plain.completions[i].text);
          expect(plain.completions[i].endOfTurnState).toBeUndefined();
          reasons.add(c.finishReason);
          const own = c.finishReason === 'eos' ? ids(c).slice(0, -1) : ids(c);
          expect(maxAbsDiff(c.endOfTurnState!, fullForwardState(PROMPTS[c.promptIndex], own, endOfTurn))).toBeLessThanOrEqual(TOLERANCE);
          compared++;
        });
      }
    }
    expect([...reasons].sort()).toEqual(['eos', 'length', 'stop']);
    expect(compared).toBe(4 * 9);
  });

  it('batched = alone, KV cache = recompute, and the seed reproduces it', async () => {
    const request = { prompts: PROMPTS, n: 2, maxNewTokens: 10, temperature: 1, seed: 11, endOfTurnToken: END_OF_TEXT };
    const batched = await gen('eos', request);
    const again = await gen('eos', request);
    const recomputed = await gen('eos-full', request);
    const alone = await Promise.all(PROMPTS.map((prompt) => gen('eos', { ...request, prompts: [prompt] })));
    batched.completions.forEach((c, i) => {
      expect(Array.from(again.completions[i].endOfTurnState!)).toEqual(Array.from(c.endOfTurnState!));
      expect(ids(recomputed.completions[i])).toEqual(ids(c));
      expect(maxAbsDiff(recomputed.completions[i].endOfTurnState!, c.endOfTurnState!)).toBeLessThanOrEqual(TOLERANCE);
      const solo = alone[c.promptIndex].completions[c.sampleIndex];
      expect(ids(solo)).toEqual(ids(c));
      expect(maxAbsDiff(solo.endOfTurnState!, c.endOfTurnState!)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('with returnHiddenStates: per-token states unchanged; left out after an EOS that is not the end-of-turn token', async () => {
    const request = { prompts: PROMPTS, n: 3, maxNewTokens: 12, temperature: 1, seed: 7, returnHiddenStates: true };
    const plain = await gen('eos', request);
    expect(plain.completions.some((c) => c.finishReason === 'eos')).toBe(true);
    for (const endOfTurnToken of [eosText, END_OF_TEXT]) {
      const out = await gen('eos', { ...request, endOfTurnToken });
      out.completions.forEach((c, i) => {
        const before = plain.completions[i];
        expect(ids(c)).toEqual(ids(before));
        expect(c.hiddenStates).toHaveLength(c.tokens.length);
        c.hiddenStates!.forEach((h, j) => expect(maxAbsDiff(h, before.hiddenStates![j])).toBeLessThanOrEqual(TOLERANCE));
        if (c.finishReason !== 'eos') {
          expect(maxAbsDiff(c.endOfTurnState!, fullForwardState(PROMPTS[c.promptIndex], ids(c), tokenizer.encode(endOfTurnToken)[0]))).toBeLessThanOrEqual(TOLERANCE);
        } else if (endOfTurnToken === eosText) {
          // The EOS is the end-of-turn token: its own state.
          expect(Array.from(c.endOfTurnState!)).toEqual(Array.from(c.hiddenStates![c.tokens.length - 1]));
        } else expect(c.endOfTurnState).toBeUndefined();
      });
    }
  });

  it('refuses an end-of-turn token that is not one token, and counts its position against the context', async () => {
    const notOne = await gen('eos', { prompts: ['a'], endOfTurnToken: 'xyz' }).catch((e: RuntimeError) => e);
    expect((notOne as RuntimeError).kind).toBe('INVALID_REQUEST');
    // BOS + 'a' = 2 positions: 62 new tokens fill the context, the end-of-turn token would need one more.
    expect((await gen('eos', { prompts: ['a'], maxNewTokens: 62, stopOnEos: false, temperature: 0 })).completions[0].tokens).toHaveLength(62);
    const overflow = await gen('eos', { prompts: ['a'], maxNewTokens: 62, endOfTurnToken: END_OF_TEXT }).catch((e: RuntimeError) => e);
    expect((overflow as RuntimeError).kind).toBe('CONTEXT_OVERFLOW');
    // The default budget leaves the position free.
    const fitted = await gen('eos', { prompts: ['a'], stopOnEos: false, temperature: 0, endOfTurnToken: END_OF_TEXT });
    expect(fitted.completions[0].tokens).toHaveLength(61);
    expect(fitted.completions[0].endOfTurnState).toHaveLength(32);
  });
});
