import { Completion } from '@assay/contracts';
import { GptWeights, randomGptWeights, referenceForward } from '@assay/forge';
import { byteLevelTokenizer } from './byte-level-tokenizer';

/**
 * The tiny world of the exhaustive certificate tests (certificate-bound.spec.ts, certificate-composed.spec.ts): a
 * byte-level BPE vocabulary with byte fragments and merges, random small GPTs over it, and every response L can give
 * within MAX_NEW tokens.
 */
export const MAX_NEW = 3;
/** L's text tokens in byte-level form (Ġ = space, Ã = byte 0xC3, © = byte 0xA9): two byte fragments, two merges. */
export const L_TEXT = ['a', 'b', 'Ġ', 'Ã', '©', 'ab', 'Ã©'];
export const L_MERGES = ['a b', 'Ã ©'];
export const L_EOS = L_TEXT.length;
export const L_BOS = L_TEXT.length + 1;
export const L_TOKENIZER = byteLevelTokenizer(L_TEXT, L_MERGES);

export function tinyModel(vocabSize: number, seed: number): GptWeights {
  return randomGptWeights({ vocabSize, contextLength: 16, layers: 1, heads: 2, dim: 16, layerNormEps: 1e-5 }, seed, { std: 0.8, randomizeAffine: true });
}

/** The logits rows that predict `ids[from..]` (each from the tokens before it), restricted to ids below `allowed`. */
export function logitRows(weights: GptWeights, ids: number[], from: number, allowed: number): number[][] {
  const V = weights.shape.vocabSize;
  const { logits } = referenceForward(weights, { inputIds: [ids] });
  const rows: number[][] = [];
  for (let t = from; t < ids.length; t++) rows.push(Array.from(logits.subarray((t - 1) * V, (t - 1) * V + allowed)));
  return rows;
}

/** Natural-log probabilities of `ids[from..]` given the tokens before each, over `allowed` ids only. */
export function logprobs(weights: GptWeights, ids: number[], from: number, allowed: number): number[] {
  return logitRows(weights, ids, from, allowed).map((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    return row[ids[from + i]] - lse;
  });
}

/** Every response of at most MAX_NEW tokens: text tokens then EOS, or MAX_NEW text tokens (cut by length). */
export function allResponses(): Array<{ ids: number[]; finish: 'eos' | 'length' }> {
  const out: Array<{ ids: number[]; finish: 'eos' | 'length' }> = [];
  const grow = (prefix: number[]) => {
    if (prefix.length === MAX_NEW) return out.push({ ids: prefix, finish: 'length' });
    out.push({ ids: [...prefix, L_EOS], finish: 'eos' });
    for (let tok = 0; tok < L_TEXT.length; tok++) grow([...prefix, tok]);
  };
  grow([]);
  return out;
}

/** L's response as the generation service returns it (text = the decoded response, EOS left out). */
export function completionOf(ids: number[], finish: 'eos' | 'length', lnL: number[]): Completion {
  const text = L_TOKENIZER.decode(ids.filter((i) => i !== L_EOS));
  return { promptIndex: 0, sampleIndex: 0, text, tokens: ids.map((id, i) => ({ id, text: L_TOKENIZER.decode([id]), logprob: lnL[i], samplingLogprob: lnL[i] })), finishReason: finish };
}
