/**
 * Expected calibration error of P(correct), in the two forms the calibrator reports (spec
 * shared/specs/calibration.md §4 and pitfall 4). Both use the binning of the reference code
 * (`llm/eval/third_party/calibration.py`, from uncertainty-baselines):
 * - B equal-width bins with edges numpy.linspace(0, 1, B + 1), i.e. i·(1/B) (so the edge "0.3" is
 *   0.30000000000000004 and a confidence of exactly 0.3 falls in the bin below it);
 * - bin i holds lo_i ≤ conf < hi_i. A confidence of **exactly 1.0 falls in no bin and is dropped**;
 * - empty bins are skipped; ECE = Σ_b (n_b / N_binned)·|mean conf_b − acc_b|, where N_binned counts only the
 *   binned items (the dropped ones leave the denominator too). No binned item at all gives NaN.
 *
 * `topLabelBinaryEce`: the calibration-tuning paper's ECE. pred = argmax(1 − p, p) (a tie p = ½ predicts
 * "incorrect", index 0, as torch/numpy argmax), conf = max(p, 1 − p) ∈ [½, 1], acc_b = mean(pred == label).
 * p = 0 and p = 1 both have conf 1 and are dropped.
 *
 * `reliabilityEce`: the usual reliability ECE of P(correct) against correctness: conf = p, acc_b = mean label.
 * Same bins (so p = 1.0 is dropped here too, as in the reference code's sampling baseline).
 */
import { linspace } from '../valid-eval';
import { checkBinaryInputs } from './binary-inputs';

export type EceForm = 'top-label' | 'reliability';

export interface ReliabilityBin {
  /** Lower and upper edge: the bin holds lo ≤ conf < hi. */
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence of the items in the bin; null when empty. */
  meanConfidence: number | null;
  /** Accuracy (top-label) or fraction correct (reliability) in the bin; null when empty. */
  accuracy: number | null;
}

export interface ReliabilityDiagram {
  form: EceForm;
  bins: ReliabilityBin[];
  /** Items in some bin (N_binned) and items dropped (a confidence of exactly 1.0). */
  binned: number;
  dropped: number;
  ece: number;
  /** Maximum calibration error over non-empty bins (NaN when none). */
  mce: number;
}

/**
 * Per-bin counts, mean confidence and accuracy, with ECE and MCE: what the reliability diagrams plot.
 * `pCorrect[i]` is P(answer i is correct), `labels[i]` is 1 when it was correct, 0 otherwise.
 */
export function reliabilityDiagram(pCorrect: ArrayLike<number>, labels: ArrayLike<number>, form: EceForm, bins = 10): ReliabilityDiagram {
  checkBinaryInputs(pCorrect, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  const edges = linspace(0, 1, bins + 1);
  const count = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  const hitSum = new Float64Array(bins);
  let dropped = 0;
  for (let i = 0; i < pCorrect.length; i++) {
    const p = pCorrect[i];
    let conf: number;
    let hit: number;
    if (form === 'top-label') {
      const q = 1 - p;
      const pred = p > q ? 1 : 0; // argmax(1 − p, p): the first index wins a tie
      conf = pred === 1 ? p : q;
      hit = pred === labels[i] ? 1 : 0;
    } else {
      conf = p;
      hit = labels[i];
    }
    const b = binOf(conf, edges);
    if (b < 0) {
      dropped++;
      continue;
    }
    count[b]++;
    confSum[b] += conf;
    hitSum[b] += hit;
  }
  const binned = pCorrect.length - dropped;
  let ece = 0;
  let mce = -Infinity;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const n = count[b];
    const meanConfidence = n > 0 ? confSum[b] / n : null;
    const accuracy = n > 0 ? hitSum[b] / n : null;
    if (n > 0) {
      const gap = Math.abs(meanConfidence! - accuracy!);
      ece += (n / binned) * gap;
      if (gap > mce) mce = gap;
    }
    out.push({ lo: edges[b], hi: edges[b + 1], count: n, meanConfidence, accuracy });
  }
  return { form, bins: out, binned, dropped, ece: binned > 0 ? ece : NaN, mce: binned > 0 ? mce : NaN };
}

/** The calibration-tuning paper's ECE (spec §4): top-label binary, 10 bins, a confidence of 1.0 dropped. */
export function topLabelBinaryEce(pCorrect: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  return reliabilityDiagram(pCorrect, labels, 'top-label', bins).ece;
}

/** The usual reliability ECE of P(correct) against correctness (same bins and conventions). */
export function reliabilityEce(pCorrect: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  return reliabilityDiagram(pCorrect, labels, 'reliability', bins).ece;
}

/** The bin b with edges[b] ≤ conf < edges[b + 1], or −1 when conf is outside [0, 1) (1.0 included). */
function binOf(conf: number, edges: readonly number[]): number {
  const bins = edges.length - 1;
  if (!(conf >= 0 && conf < 1)) return -1;
  let b = Math.min(bins - 1, Math.floor(conf * bins));
  // conf·B can land one bin off the stored edges (e.g. 0.3·10 = 3 but edge 3 is 0.30000000000000004).
  while (b > 0 && conf < edges[b]) b--;
  while (b < bins - 1 && conf >= edges[b + 1]) b++;
  return b;
}
