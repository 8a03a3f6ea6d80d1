import { DECODER_FAMILIES, decoderReferenceForward } from '@assay/forge';
import { Completion, LocalEngine, TextTokenizer } from '@assay/runtime';
import { FamilyModel, newFamilyModel, newTestEngine, removeTestModels } from './fixtures';
import { loadPeer } from './transformers-js';

/**
 * Every decoder family, served by Assay and by transformers.js 4.3.1 from the same directory (the
 * transformers.js layout, graphs under onnx/): greedy outputs identical, per-token log-probs within 1e-4 of
 * the peer's and of forge's float64 reference forward; KV-cached decoding equals full recomputation (an
 * export of the same weights without a cache); a batch equals its prompts one by one. Odd families use
 * Optimum's merged decoder (use_cache_branch).
 */
const TOLERANCE = 1e-4;
const PROMPTS = ['the cat sat', 'on a mat then in the end the'];
const MAX_NEW = 14;

function referenceLogprobs(model: FamilyModel, ids: number[]): number[] {
  const { logits, vocab } = decoderReferenceForward(model.weights, model.config, { inputIds: [ids] });
  return ids.slice(1).map((id, t) => {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    const max = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    return row[id] - max - Math.log(sum);
  });
}

const maxDiff = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i])));
};

describe.each(DECODER_FAMILIES.map((family, i) => [family, i % 2 === 1] as const))('%s (merged decoder: %s)', (family, merged) => {
  let engine: LocalEngine;
  let model: FamilyModel;
  let tokenizer: TextTokenizer;

  beforeAll(async () => {
    engine = newTestEngine();
    model = await newFamilyModel(family, { seed: 7 + DECODER_FAMILIES.indexOf(family), layout: 'transformers.js', merged });
    tokenizer = TextTokenizer.fromJson(model.tokenizer);
    const info = await engine.loadModel(family, model.dir);
    expect(info).toMatchObject({ architecture: family, modelFile: 'onnx/model.onnx', variant: 'fp32', kvHeads: 2, hasKvCache: true, hasHiddenStates: true });
    const noCache = await newFamilyModel(family, { seed: 7 + DECODER_FAMILIES.indexOf(family), withPast: false });
    expect(await engine.loadModel(`${family}-recompute`, noCache.dir)).toMatchObject({ modelFile: 'model.onnx', hasKvCache: false });
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('greedy tokens and log-probs match transformers.js and the reference forward; batched = alone; KV cache = recomputation', async () => {
    const batched = await engine.generate({ model: family, prompts: PROMPTS, maxNewTokens: MAX_NEW, temperature: 0 });
    const recomputed = await engine.generate({ model: `${family}-recompute`, prompts: PROMPTS, maxNewTokens: MAX_NEW, temperature: 0 });
    const peer = await loadPeer(model.dir);
    try {
      for (const [i, prompt] of PROMPTS.entries()) {
        const ours: Completion = batched.completions[i];
        const generated = ours.tokens.map((t) => t.id);
        const alone = (await engine.generate({ model: family, prompts: [prompt], maxNewTokens: MAX_NEW, temperature: 0 })).completions[0];
        expect(alone.tokens.map((t) => t.id)).toEqual(generated);
        expect(recomputed.completions[i].tokens.map((t) => t.id)).toEqual(generated);
        expect(maxDiff(recomputed.completions[i].tokens.map((t) => t.logprob), ours.tokens.map((t) => t.logprob))).toBeLessThanOrEqual(TOLERANCE);
        expect(maxDiff(alone.tokens.map((t) => t.logprob), ours.tokens.map((t) => t.logprob))).toBeLessThanOrEqual(TOLERANCE);

        const promptIds = [model.config.bosTokenId!, ...tokenizer.encode(prompt)];
        expect(await peer.greedy(promptIds, MAX_NEW)).toEqual(generated);
        const sequence = [...promptIds, ...generated];
        const peerLogprobs = (await peer.logprobs(sequence)).slice(promptIds.length - 1);
        expect(maxDiff(ours.tokens.map((t) => t.logprob), peerLogprobs)).toBeLessThanOrEqual(TOLERANCE);
        const reference = referenceLogprobs(model, sequence).slice(promptIds.length - 1);
        expect(maxDiff(ours.tokens.map((t) => t.logprob), reference)).toBeLessThanOrEqual(TOLERANCE);
        // Teacher-forced scoring of the same continuation agrees too.
        const scored = await engine.score({ model: family, items: [{ context: prompt, continuationIds: generated }] });
        expect(maxDiff(scored.results[0].tokens.map((t) => t.logprob), peerLogprobs)).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      await peer.dispose();
    }
  });

  it('hidden states from the export equal the reference final-norm output', async () => {
    const text = PROMPTS[1];
    const ids = [model.config.bosTokenId!, ...tokenizer.encode(text)];
    const { vectors, rows, hiddenSize } = await engine.hiddenStates({ model: family, texts: [text], pooling: 'tokens' });
    const reference = decoderReferenceForward(model.weights, model.config, { inputIds: [ids] }).hiddenStates;
    // 'tokens' pooling skips BOS: rows 1 … n−1 of the reference.
    expect(rows[0]).toBe(ids.length - 1);
    expect(maxDiff(Array.from(vectors[0]), Array.from(reference.subarray(hiddenSize)))).toBeLessThanOrEqual(TOLERANCE);
  });
});
