import { asciiTokenizerJson } from '../../test/ascii-tokenizer';
import { RuntimeError } from '../errors';
import { TextTokenizer } from '../model/text-tokenizer';
import { ModelShape } from '../model-runner/model-runner';
import { PreparationModel, prepareGenerate, preparePool, prepareScore } from './request-preparation';

const shape: ModelShape = {
  architecture: 'gpt2',
  vocabSize: 105,
  contextLength: 16,
  layers: 1,
  heads: 1,
  kvHeads: 1,
  headDim: 4,
  hiddenSize: 4,
  bosTokenId: 0,
  eosTokenIds: [0],
  padTokenId: 0,
};
const tokenizer = TextTokenizer.fromJson(asciiTokenizerJson());
const model: PreparationModel = { shape, tokenizer, hasHiddenStates: true };
const fixedSeed = () => 7;

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as RuntimeError).kind;
  }
  return undefined;
}

describe('prepareGenerate', () => {
  it('prepends BOS, expands n samples prompt-major, and keys each stream by seed, position, sample and prompt', () => {
    const p = prepareGenerate({ model: 'm', prompts: ['ab', 'cd'], n: 2, seed: 3 }, model, fixedSeed);
    expect(p.sequences.map((s) => [s.promptIndex, s.sampleIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(p.sequences[0].promptIds).toEqual([0, ...tokenizer.encode('ab')]);
    const keys = p.sequences.map((s) => s.rngKey);
    expect(new Set(keys).size).toBe(4);
    // The same request gives the same keys; a prompt's stream does not depend on the other prompts of its request.
    expect(prepareGenerate({ model: 'm', prompts: ['ab', 'cd'], n: 2, seed: 3 }, model, fixedSeed).sequences.map((s) => s.rngKey)).toEqual(keys);
    expect(prepareGenerate({ model: 'm', prompts: ['cd'], n: 1, seed: 3 }, model, fixedSeed).sequences[0].rngKey).toBe(keys[2]);
    // Repeated prompts in one request: one stream per copy (the first copy keeps the prompt's own stream).
    const repeated = prepareGenerate({ model: 'm', prompts: ['ab', 'cd', 'ab', 'ab'], n: 1, seed: 3 }, model, fixedSeed).sequences.map((s) => s.rngKey);
    expect(new Set(repeated).size).toBe(4);
    expect(repeated[0]).toBe(keys[0]);
    expect(repeated[1]).toBe(keys[2]);
    expect(p.seed).toBe(3);
    expect(prepareGenerate({ model: 'm', prompts: ['x'] }, model, fixedSeed).seed).toBe(7);
  });

  it('rejects empty prompts, bad sampling values, and prompts that cannot fit maxNewTokens', () => {
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: [''] }, model, fixedSeed))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: [] }, model, fixedSeed))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: ['a'], topP: 0 }, model, fixedSeed))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: ['a'], temperature: -1 }, model, fixedSeed))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: ['a'], stop: [''] }, model, fixedSeed))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: ['abcdefgh'], maxNewTokens: 8 }, model, fixedSeed))).toBe('CONTEXT_OVERFLOW');
    expect(prepareGenerate({ model: 'm', prompts: ['abcdefg'], maxNewTokens: 8 }, model, fixedSeed).sequences).toHaveLength(1);
    expect(kindOf(() => prepareGenerate({ model: 'm', prompts: ['a'], returnHiddenStates: true }, { ...model, hasHiddenStates: false }, fixedSeed))).toBe(
      'UNSUPPORTED',
    );
  });
});

describe('prepareScore', () => {
  it('encodes context and continuation separately after BOS; scored tokens are the continuation', () => {
    const [item] = prepareScore({ model: 'm', items: [{ context: 'in the', continuation: ' then' }] }, model);
    const ctx = tokenizer.encode('in the');
    const cont = tokenizer.encode(' then');
    expect(item.ids).toEqual([0, ...ctx, ...cont]);
    expect(item.targetStart).toBe(1 + ctx.length);
    expect(item.contextTokens).toBe(ctx.length);
  });

  it('conditions on BOS when the context is empty, even with addBos false', () => {
    const [withIds, noBos] = prepareScore(
      { model: 'm', addBos: false, items: [{ continuationIds: [5, 6] }, { context: 'a', continuation: 'b' }] },
      model,
    );
    expect(withIds.ids).toEqual([0, 5, 6]);
    expect(withIds.targetStart).toBe(1);
    expect(noBos.ids).toEqual([...tokenizer.encode('a'), ...tokenizer.encode('b')]);
    expect(noBos.targetStart).toBe(1);
  });

  it('fails over-long pairs unless truncateContext, which drops context tokens from the left', () => {
    const long = { context: 'abcdefghijkl', continuation: 'xyz' }; // 1 + 12 + 3 = 16 fits, 17 does not
    expect(prepareScore({ model: 'm', items: [long] }, model)[0].truncatedContextTokens).toBe(0);
    const longer = { context: 'abcdefghijklm', continuation: 'xyz' };
    expect(kindOf(() => prepareScore({ model: 'm', items: [longer] }, model))).toBe('CONTEXT_OVERFLOW');
    const [cut] = prepareScore({ model: 'm', items: [longer], truncateContext: true }, model);
    expect(cut.ids).toEqual([0, ...tokenizer.encode('bcdefghijklm'), ...tokenizer.encode('xyz')]);
    expect(cut.truncatedContextTokens).toBe(1);
    expect(kindOf(() => prepareScore({ model: 'm', items: [{ continuation: 'x'.repeat(16) }], truncateContext: true }, model))).toBe('CONTEXT_OVERFLOW');
  });

  it('rejects items with both or neither continuation forms, and out-of-vocabulary ids', () => {
    expect(kindOf(() => prepareScore({ model: 'm', items: [{ context: 'a' }] }, model))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareScore({ model: 'm', items: [{ continuation: 'a', continuationIds: [1] }] }, model))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareScore({ model: 'm', items: [{ continuationIds: [105] }] }, model))).toBe('INVALID_REQUEST');
    expect(kindOf(() => prepareScore({ model: 'm', items: [] }, model))).toBe('INVALID_REQUEST');
  });
});

describe('preparePool', () => {
  it('pools from after BOS and refuses models without hidden states', () => {
    const [item] = preparePool({ model: 'm', texts: ['hello'], pooling: 'mean' }, model);
    expect(item.ids[0]).toBe(0);
    expect(item.poolStart).toBe(1);
    expect(kindOf(() => preparePool({ model: 'm', texts: ['a'] }, { ...model, hasHiddenStates: false }))).toBe('UNSUPPORTED');
    expect(kindOf(() => preparePool({ model: 'm', texts: [''] }, model))).toBe('INVALID_REQUEST');
  });
});
