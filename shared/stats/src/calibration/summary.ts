/** Every calibration metric of one method on one split, as the calibrator's evaluation reports them (issue 10 §5). */
import { reliabilityEce, topLabelBinaryEce } from './ece';
import { binaryNll, brierScore, correctnessAuroc, selectiveAccuracy } from './scores';
import { checkBinaryInputs } from './binary-inputs';

export interface CalibrationMetrics {
  n: number;
  /** Task accuracy: the share of answers that were correct (mean label). */
  accuracy: number;
  /** Reliability ECE of P(correct) against correctness (10 bins). */
  ece: number;
  /** The calibration-tuning paper's top-label binary ECE (spec §4, 10 bins). */
  eceTopLabel: number;
  auroc: number;
  brier: number;
  nll: number;
  /** Accuracy of the answers with the highest P(correct) at coverage 50 %, 80 % and 100 %. */
  selectiveAccuracy50: number;
  selectiveAccuracy80: number;
  selectiveAccuracy100: number;
}

export function calibrationMetrics(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): CalibrationMetrics {
  checkBinaryInputs(pCorrect, labels);
  const n = pCorrect.length;
  let correct = 0;
  for (let i = 0; i < n; i++) correct += labels[i];
  return {
    n,
    accuracy: n ? correct / n : NaN,
    ece: reliabilityEce(pCorrect, labels),
    eceTopLabel: topLabelBinaryEce(pCorrect, labels),
    auroc: correctnessAuroc(pCorrect, labels),
    brier: brierScore(pCorrect, labels),
    nll: binaryNll(pCorrect, labels),
    selectiveAccuracy50: selectiveAccuracy(pCorrect, labels, 0.5),
    selectiveAccuracy80: selectiveAccuracy(pCorrect, labels, 0.8),
    selectiveAccuracy100: selectiveAccuracy(pCorrect, labels, 1),
  };
}
