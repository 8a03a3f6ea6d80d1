import { CapMode, qHeadForward, qHeadForwardBatch, QHeadLayout, qHeadLayout, RectifiedProbs, rectifiedLogProb, rectifyProbs } from '@assay/stats';
import { logSumExp } from './log-softmax';
import { candidateSet, SampledToken, SamplingParams, UniformSource } from './sampler';

/**
 * Rectified decoding (issue 12, spec shared/specs/rectification.md §3.3) of one row: Q(s, ·) from the Q head on
 * the row's final-norm hidden state, caps max(1 + Q − ε, pMin) (or the relative form), exact water-filling of the
 * tempered distribution in float64 (pitfalls 2 and 13), then top-k / top-p on the rectified distribution and one
 * draw. The order is the reference's (the security processor runs before the top-k warper): temperature shapes π,
 * the caps bound π′, the filters only ever remove tokens, so every kept token still satisfies its cap after
 * renormalisation unless filtering removed mass (then it may grow by 1/kept mass, as with any truncation).
 *
 * Greedy (temperature 0) takes the argmax of the rectified temperature-1 distribution.
 */

/** What the executor needs to rectify a sequence (plain data: it crosses to worker threads by structured clone). */
export interface RectifySpec {
  head: { inDim: number; hidden: number; vocab: number; params: Float64Array };
  epsilon: number;
  pMin: number;
  mode: CapMode;
  /** Token ids whose cap is 1 (pitfall 7, for heads that never saw EOS). */
  exemptTokens: number[];
}

/** Per-step diagnostics of the water-filling. */
export interface RectifyStepStats {
  tokensCapped: number;
  massMoved: number;
  deadEnd: boolean;
}

export interface RectifiedToken extends SampledToken {
  rectification: RectifyStepStats;
}

/** The Q head of a spec, its layout computed once per spec object (all rows of a request share it). */
const layouts = new WeakMap<RectifySpec['head'], QHeadLayout>();
function layoutOf(head: RectifySpec['head']): QHeadLayout {
  let layout = layouts.get(head);
  if (!layout) {
    layout = qHeadLayout(head);
    if (head.params.length !== layout.size) throw new RangeError(`Q head has ${head.params.length} parameters, its shape needs ${layout.size}`);
    layouts.set(head, layout);
  }
  return layout;
}

/** Q(s, ·) ∈ (−1, 0)^V from a hidden state. */
export function qValues(head: RectifySpec['head'], hidden: ArrayLike<number>, hiddenOffset = 0): Float64Array {
  const layout = layoutOf(head);
  return qHeadForward(head.params, layout, hidden, hiddenOffset, new Float64Array(layout.vocab));
}

/** Q(s, ·) of several rows' hidden states (offsets into `hidden`) with one head: one pass over its output weights. */
export function qValuesBatch(head: RectifySpec['head'], hidden: ArrayLike<number>, offsets: readonly number[]): Float64Array[] {
  const layout = layoutOf(head);
  return qHeadForwardBatch(head.params, layout, hidden, offsets, offsets.map(() => new Float64Array(layout.vocab)));
}

/**
 * Samples one token of a rectified row (see the file comment); `samplingLogprob` is log π′′(token) of the draw's own
 * distribution. Without top-k / top-p the draw walks π′ itself and only the drawn token's log π′ is taken (one
 * logarithm per step, not V); at temperature 1 the logits' own log-softmax is π's (one softmax, not two).
 */
export function sampleRectifiedToken(
  logits: ArrayLike<number>,
  offset: number,
  vocab: number,
  q: ArrayLike<number>,
  params: SamplingParams,
  rectify: RectifySpec,
  rng: UniformSource,
): RectifiedToken {
  if (q.length !== vocab) throw new RangeError(`the Q head has ${q.length} values for a vocabulary of ${vocab}`);
  const options = { epsilon: rectify.epsilon, pMin: rectify.pMin, mode: rectify.mode, exemptTokens: rectify.exemptTokens };
  const temperature = params.temperature === 0 ? 1 : params.temperature;
  const row = new Float64Array(vocab);
  let lse: number;
  let rectified: RectifiedProbs;
  if (temperature === 1) {
    for (let i = 0; i < vocab; i++) row[i] = logits[offset + i];
    rectified = rectifyProbs(row, q, options);
    lse = rectified.logNormalizer;
  } else {
    lse = logSumExp(logits, offset, vocab);
    for (let i = 0; i < vocab; i++) row[i] = (logits[offset + i] - lse) / temperature;
    rectified = rectifyProbs(row, q, options);
  }
  const stats: RectifyStepStats = { tokensCapped: rectified.tokensCapped, massMoved: rectified.massMoved, deadEnd: rectified.deadEnd };
  const filtered = (params.topK > 0 && params.topK < vocab) || params.topP < 1;
  if (params.temperature === 0 || filtered) {
    const lp = new Float64Array(vocab);
    for (let i = 0; i < vocab; i++) lp[i] = rectifiedLogProb(rectified, i);
    if (params.temperature === 0) {
      let best = 0;
      for (let i = 1; i < vocab; i++) if (lp[i] > lp[best]) best = i;
      return { id: best, logprob: logits[offset + best] - lse, samplingLogprob: 0, rectification: stats };
    }
    const candidates = candidateSet(lp, params);
    let mass = 0;
    for (const i of candidates) mass += Math.exp(lp[i]);
    let target = rng.nextDouble() * mass;
    let chosen = candidates[candidates.length - 1];
    for (const i of candidates) {
      target -= Math.exp(lp[i]);
      if (target < 0) {
        chosen = i;
        break;
      }
    }
    return { id: chosen, logprob: logits[offset + chosen] - lse, samplingLogprob: lp[chosen] - Math.log(mass), rectification: stats };
  }
  // Without filtering the mass is 1 up to rounding and log π′ is reported as is (exact for uncapped tokens).
  const probs = rectified.probs;
  let mass = 0;
  for (let i = 0; i < vocab; i++) mass += probs[i];
  let target = rng.nextDouble() * mass;
  let chosen = vocab - 1;
  for (let i = 0; i < vocab; i++) {
    target -= probs[i];
    if (target < 0) {
      chosen = i;
      break;
    }
  }
  // A zero-probability token is never drawn (rounding could leave the walk at the end): the last token with mass.
  while (probs[chosen] === 0 && chosen > 0) chosen--;
  return { id: chosen, logprob: logits[offset + chosen] - lse, samplingLogprob: rectifiedLogProb(rectified, chosen), rectification: stats };
}
