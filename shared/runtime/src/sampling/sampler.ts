import { argmax, logSoftmax } from './log-softmax';

export interface SamplingParams {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 disables. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP; 1 disables. */
  topP: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1 };

export interface SampledToken {
  id: number;
  /** log p(id) under the model at temperature 1 (raw log-softmax of the logits). */
  logprob: number;
  /** log q(id) under the distribution actually sampled from (temperature, top-k, top-p, renormalised); 0 for greedy. */
  samplingLogprob: number;
}

/** A source of uniforms in [0, 1); one is drawn per sampled (non-greedy) token. */
export interface UniformSource {
  nextDouble(): number;
}

/**
 * Picks the next token from one row of logits. Pure apart from the one uniform it draws, so a sequence's
 * samples depend only on its own logits and its own random stream (never on what else is in the batch).
 */
export function sampleToken(logits: ArrayLike<number>, params: SamplingParams, rng: UniformSource, offset = 0, vocab = logits.length - offset): SampledToken {
  const modelLogprobs = logSoftmax(logits, offset, vocab);
  if (params.temperature === 0) {
    const id = argmax(modelLogprobs);
    return { id, logprob: modelLogprobs[id], samplingLogprob: 0 };
  }
  // Tempered log-probabilities (log-softmax(l/T) = log-softmax(logp/T), numerically the same thing).
  const scaled = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) scaled[i] = modelLogprobs[i] / params.temperature;
  const tempered = logSoftmax(scaled);
  const candidates = candidateSet(tempered, params);
  let mass = 0;
  for (const i of candidates) mass += Math.exp(tempered[i]);
  let target = rng.nextDouble() * mass;
  let chosen = candidates[candidates.length - 1];
  for (const i of candidates) {
    target -= Math.exp(tempered[i]);
    if (target < 0) {
      chosen = i;
      break;
    }
  }
  return { id: chosen, logprob: modelLogprobs[chosen], samplingLogprob: tempered[chosen] - Math.log(mass) };
}

/**
 * Token ids allowed by top-k and top-p, most likely first (ties: lower id first). Without either filter
 * every token is a candidate and no sort is needed.
 */
export function candidateSet(logprobs: Float64Array, params: Pick<SamplingParams, 'topK' | 'topP'>): Int32Array {
  const vocab = logprobs.length;
  const useTopK = params.topK > 0 && params.topK < vocab;
  const useTopP = params.topP < 1;
  if (!useTopK && !useTopP) return Int32Array.from({ length: vocab }, (_, i) => i);
  const order = Int32Array.from({ length: vocab }, (_, i) => i);
  order.sort((a, b) => logprobs[b] - logprobs[a] || a - b);
  let keep = useTopK ? params.topK : vocab;
  if (useTopP) {
    // top-p over the tempered distribution restricted by top-k, as HF's warpers apply them in sequence.
    let total = 0;
    for (let r = 0; r < keep; r++) total += Math.exp(logprobs[order[r]]);
    let cumulative = 0;
    for (let r = 0; r < keep; r++) {
      cumulative += Math.exp(logprobs[order[r]]) / total;
      if (cumulative >= params.topP) {
        keep = r + 1;
        break;
      }
    }
  }
  return order.subarray(0, Math.max(1, keep));
}
