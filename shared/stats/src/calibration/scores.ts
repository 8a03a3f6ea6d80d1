/**
 * Scores of P(correct) against correctness labels (1 = the answer was right): AUROC, Brier score, negative
 * log-likelihood and selective accuracy (spec shared/specs/calibration.md §4; Brier, NLL and the accuracy–coverage
 * curve are our additions, the reference code reports neither).
 */
import { auroc } from '../valid-eval';
import { checkBinaryInputs } from './binary-inputs';

/**
 * Binary AUROC of P(correct) for separating correct from incorrect answers: P(p₊ > p₋) + ½·P(p₊ = p₋) (ties
 * count half, mid-ranks). Equals the reference's macro one-vs-rest AUROC over [1 − p, p]. NaN when every label
 * is the same (the reference code's NaN for a one-class split).
 */
export function correctnessAuroc(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkBinaryInputs(pCorrect, labels);
  const negatives: number[] = [];
  const positives: number[] = [];
  for (let i = 0; i < pCorrect.length; i++) (labels[i] === 1 ? positives : negatives).push(pCorrect[i]);
  if (positives.length === 0 || negatives.length === 0) return NaN;
  return auroc(negatives, positives); // the shared Mann–Whitney AUROC: its "OOD" (positive) class scores higher
}

/** Brier score: mean (p − y)². */
export function brierScore(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkBinaryInputs(pCorrect, labels);
  if (pCorrect.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < pCorrect.length; i++) {
    const d = pCorrect[i] - labels[i];
    sum += d * d;
  }
  return sum / pCorrect.length;
}

/**
 * `binaryNll` floors the probability given to the observed outcome at δ = 1e-15 (scikit-learn's historical
 * log_loss eps), so a confident mistake costs at most −log(1e-15) ≈ 34.5 nats instead of ∞.
 */
export const NLL_CLIP = 1e-15;

/** Mean negative log-likelihood −[y·log p + (1 − y)·log(1 − p)] in nats, each log's argument floored at NLL_CLIP. */
export function binaryNll(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkBinaryInputs(pCorrect, labels);
  if (pCorrect.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < pCorrect.length; i++) {
    const q = labels[i] === 1 ? pCorrect[i] : 1 - pCorrect[i];
    sum -= Math.log(Math.max(NLL_CLIP, q));
  }
  return sum / pCorrect.length;
}

export interface CoveragePoint {
  /** Share of answers kept (those with the highest P(correct)). */
  coverage: number;
  /** Accuracy among the kept answers. */
  accuracy: number;
  /** Lowest P(correct) kept. */
  threshold: number;
}

/** Answers sorted by P(correct), highest first, grouped by equal P(correct): [p, count, correct]. */
function tieGroupsDescending(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): Array<[number, number, number]> {
  const order = Array.from({ length: pCorrect.length }, (_, i) => i).sort((a, b) => pCorrect[b] - pCorrect[a]);
  const groups: Array<[number, number, number]> = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (last && last[0] === pCorrect[i]) {
      last[1]++;
      last[2] += labels[i];
    } else groups.push([pCorrect[i], 1, labels[i]]);
  }
  return groups;
}

/**
 * The accuracy–coverage curve: one point per distinct P(correct), keeping every answer at or above it
 * (a tie group enters whole), from the most confident group to coverage 1.
 */
export function accuracyCoverageCurve(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): CoveragePoint[] {
  checkBinaryInputs(pCorrect, labels);
  const n = pCorrect.length;
  let kept = 0;
  let hits = 0;
  return tieGroupsDescending(pCorrect, labels).map(([p, count, correct]) => {
    kept += count;
    hits += correct;
    return { coverage: kept / n, accuracy: hits / kept, threshold: p };
  });
}

/**
 * Accuracy among the ⌈coverage·N⌉ answers with the highest P(correct) (selective prediction). **Ties**: when the
 * cut falls inside a group of equal P(correct), the answers kept from that group count with the group's mean
 * correctness, i.e. the expected accuracy under a uniformly random tie break. The result is deterministic and
 * independent of the input order. Coverage 1 gives the plain accuracy.
 */
export function selectiveAccuracy(pCorrect: ArrayLike<number>, labels: ArrayLike<number>, coverage: number): number {
  checkBinaryInputs(pCorrect, labels);
  if (!(coverage > 0 && coverage <= 1)) throw new RangeError(`coverage must lie in (0, 1], got ${coverage}`);
  const n = pCorrect.length;
  if (n === 0) return NaN;
  // The epsilon keeps 0.8·10 = 8.000000000000002 from rounding up to 9.
  const keep = Math.min(n, Math.max(1, Math.ceil(coverage * n - 1e-9)));
  let kept = 0;
  let hits = 0;
  for (const [, count, correct] of tieGroupsDescending(pCorrect, labels)) {
    const take = Math.min(count, keep - kept);
    hits += (take / count) * correct;
    kept += take;
    if (kept === keep) break;
  }
  return hits / keep;
}
