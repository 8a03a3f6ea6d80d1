import { balancedThreshold, binaryAuroc, metricsAtThreshold } from './classifier-metrics';

describe('classifier metrics', () => {
  it('AUROC is the probability a positive outscores a negative, ties counting half', () => {
    expect(binaryAuroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(binaryAuroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(binaryAuroc([0.5, 0.5, 0.5], [1, 0, 1])).toBe(0.5);
    expect(binaryAuroc([0.1, 0.2], [1, 1])).toBeNaN();
    // Brute force over all pairs on a pseudo-random set with ties.
    const scores = Array.from({ length: 60 }, (_, i) => ((i * 37) % 11) / 10);
    const labels = scores.map((_, i) => ((i * 13) % 5 < 2 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    scores.forEach((p, i) => scores.forEach((n, j) => {
      if (labels[i] !== 1 || labels[j] !== 0) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    }));
    expect(binaryAuroc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('counts the confusion matrix at a threshold (score ≥ threshold is positive)', () => {
    const m = metricsAtThreshold([0.9, 0.6, 0.4, 0.2, 0.6], [1, 0, 1, 0, 1], 0.6);
    expect(m).toMatchObject({ threshold: 0.6, accuracy: 3 / 5, precision: 2 / 3, recall: 2 / 3 });
    expect(m.balancedAccuracy).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
  });

  it('picks the threshold with the best balanced accuracy', () => {
    const scores = [0.95, 0.9, 0.7, 0.65, 0.3, 0.2, 0.6];
    const labels = [1, 1, 1, 1, 0, 0, 0];
    const t = balancedThreshold(scores, labels);
    expect(t).toBe(0.65);
    expect(metricsAtThreshold(scores, labels, t).balancedAccuracy).toBe(1);
    expect(balancedThreshold([0.2, 0.3], [1, 1])).toBe(0.5);
  });
});
