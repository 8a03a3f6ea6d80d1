/** Evaluation helpers of the reward head (issue 11 §5): pairwise accuracy with a Wilson interval, argmax choice. */
import { ProportionInterval, wilsonInterval } from '../proportion-ci';

/**
 * Share of pairs whose chosen answer gets the strictly higher reward (a tie counts as wrong, as the DPH code's
 * mean(r_w > r_l)), with its Wilson score interval.
 */
export function pairwiseAccuracy(chosen: ArrayLike<number>, rejected: ArrayLike<number>, level = 0.95): ProportionInterval {
  if (chosen.length !== rejected.length) throw new RangeError(`${chosen.length} chosen rewards for ${rejected.length} rejected`);
  let correct = 0;
  for (let i = 0; i < chosen.length; i++) {
    if (Number.isNaN(chosen[i]) || Number.isNaN(rejected[i])) throw new RangeError(`reward pair ${i} is NaN`);
    if (chosen[i] > rejected[i]) correct++;
  }
  return wilsonInterval(correct, chosen.length, level);
}

/** Index of the largest value; the first one wins a tie. Throws on an empty array or NaN. */
export function argmax(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('argmax of an empty array');
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`argmax: values[${i}] is NaN`);
    if (values[i] > values[best]) best = i;
  }
  return best;
}

/** Multiple-choice accuracy of "pick the option with the highest score" (DPH reward or mean log-probability). */
export function argmaxAccuracy(scoresPerQuestion: ReadonlyArray<ArrayLike<number>>, gold: ArrayLike<number>): number {
  if (scoresPerQuestion.length !== gold.length) throw new RangeError(`${scoresPerQuestion.length} questions for ${gold.length} gold answers`);
  if (gold.length === 0) return NaN;
  let correct = 0;
  for (let q = 0; q < gold.length; q++) if (argmax(scoresPerQuestion[q]) === gold[q]) correct++;
  return correct / gold.length;
}
