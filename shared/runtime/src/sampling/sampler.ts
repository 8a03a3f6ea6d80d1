import { logSumExp, logSumExpArgmax } from './log-softmax';

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

/** Reused scratch row (one per thread): the decode loop samples every row of every step through it. */
let scratch = new Float64Array(0);
function scratchRow(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(length);
  return scratch;
}

/**
 * Picks the next token from one row of logits. Pure apart from the one uniform it draws, so a sequence's
 * samples depend only on its own logits and its own random stream (never on what else is in the batch).
 *
 * The arithmetic is the textbook one (log-softmax in float64, then log-softmax of logp/T), done without
 * per-token allocations: greedy needs one scan, sampling without top-k/top-p needs no candidate list.
 */
export function sampleToken(logits: ArrayLike<number>, params: SamplingParams, rng: UniformSource, offset = 0, vocab = logits.length - offset): SampledToken {
  const { logSumExp: lse, argmax: best } = logSumExpArgmax(logits, offset, vocab);
  // argmax of logits = argmax of logits − lse (a shift of float32 values in float64 never merges two of them).
  if (params.temperature === 0) return { id: best, logprob: logits[offset + best] - lse, samplingLogprob: 0 };
  // Tempered log-probabilities (log-softmax(l/T) = log-softmax(logp/T), numerically the same thing).
  const scaled = scratchRow(vocab);
  for (let i = 0; i < vocab; i++) scaled[i] = (logits[offset + i] - lse) / params.temperature;
  const temperedLse = logSumExp(scaled, 0, vocab);
  const filtered = (params.topK > 0 && params.topK < vocab) || params.topP < 1;
  if (!filtered) {
    let mass = 0;
    for (let i = 0; i < vocab; i++) mass += Math.exp(scaled[i] - temperedLse);
    let target = rng.nextDouble() * mass;
    let chosen = vocab - 1;
    for (let i = 0; i < vocab; i++) {
      target -= Math.exp(scaled[i] - temperedLse);
      if (target < 0) {
        chosen = i;
        break;
      }
    }
    return { id: chosen, logprob: logits[offset + chosen] - lse, samplingLogprob: scaled[chosen] - temperedLse - Math.log(mass) };
  }
  const tempered = Float64Array.from(scaled.subarray(0, vocab), (v) => v - temperedLse);
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
  return { id: chosen, logprob: logits[offset + chosen] - lse, samplingLogprob: tempered[chosen] - Math.log(mass) };
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
