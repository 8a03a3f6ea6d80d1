/**
 * Binary-classification metrics over P(positive) scores and 0/1 labels.
 * AUROC is computed here because @assay/stats exports no AUROC over (scores, labels) yet.
 */

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores for ${labels.length} labels`);
}

/** Area under the ROC curve, P(score₊ > score₋) + ½·P(tie), via mid-ranks; NaN when one class is absent. */
export function binaryAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  /** Mean of the true-positive and true-negative rates. */
  balancedAccuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Metrics of the rule "toxic when score ≥ threshold". */
export function metricsAtThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdMetrics {
  checkLengths(scores, labels);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    threshold,
    accuracy: ratio(tp + tn, scores.length),
    balancedAccuracy: (recall + ratio(tn, tn + fp)) / 2,
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
  };
}

/**
 * The threshold maximizing balanced accuracy (Youden's J) over the observed scores; ties go to the
 * higher threshold. Chosen on validation data, then applied unchanged to the test split.
 */
export function balancedThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  // Lower the threshold one distinct score at a time; tp/fp count the scores ≥ it.
  let tp = 0;
  let fp = 0;
  let best = 0.5;
  let bestJ = -Infinity;
  for (let k = 0; k < order.length; ) {
    const t = scores[order[k]];
    while (k < order.length && scores[order[k]] === t) labels[order[k++]] === 1 ? tp++ : fp++;
    const j = tp / positives - fp / negatives;
    if (j > bestJ) {
      bestJ = j;
      best = t;
    }
  }
  return best;
}
