import { reliabilityDiagram, reliabilityEce, topLabelBinaryEce } from './ece';

// One data set for both forms. Bin edges are numpy.linspace(0, 1, 11) = i·0.1, so edge 3 is 0.30000000000000004,
// edge 6 is 0.6000000000000001 and edge 7 is 0.7000000000000001.
const P = [0.9, 0.8, 0.3, 0.5, 1.0, 0.0, 0.65];
const Y = [1, 0, 0, 1, 1, 0, 1];

describe('topLabelBinaryEce (spec §4: pred = argmax(1 − p, p), conf = max(p, 1 − p))', () => {
  it('equals the hand computation, with a tie, a confidence of exactly 1.0 dropped (p = 1 and p = 0) and empty bins', () => {
    // p=0.9 → pred 1, conf 0.9, bin 9, hit.       p=0.8 → pred 1, conf 0.8, bin 8, miss (label 0).
    // p=0.3 → pred 0, conf 1−0.3 = 0.7 < edge 0.7000000000000001 → bin 6, hit (label 0).
    // p=0.5 → tie, argmax takes index 0: pred 0, conf 0.5, bin 5, miss (label 1).
    // p=1.0 and p=0.0 → conf exactly 1.0: in no bin, dropped (N_binned = 5).
    // p=0.65 → pred 1, conf 0.65, bin 6, hit.
    // Bin 5: |0.5 − 0| = 0.5 (n 1); bin 6: |(0.7 + 0.65)/2 − 1| = 0.325 (n 2); bin 8: |0.8 − 0| = 0.8; bin 9: |0.9 − 1| = 0.1.
    // ECE = (0.5 + 2·0.325 + 0.8 + 0.1) / 5 = 2.05 / 5 = 0.41; MCE = 0.8.
    expect(topLabelBinaryEce(P, Y)).toBeCloseTo(0.41, 12);
    const diagram = reliabilityDiagram(P, Y, 'top-label');
    expect(diagram).toMatchObject({ binned: 5, dropped: 2, mce: 0.8 });
    expect(diagram.bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 1, 1]);
    expect(diagram.bins[6].meanConfidence).toBeCloseTo(0.675, 12);
    expect(diagram.bins[6].accuracy).toBe(1);
    expect(diagram.bins[0]).toEqual({ lo: 0, hi: 0.1, count: 0, meanConfidence: null, accuracy: null });
    expect(diagram.bins[2].hi).toBe(0.30000000000000004);
  });

  it('is 0 for a perfectly calibrated bin and NaN when every confidence is 1.0', () => {
    // Four answers at p = 0.75: pred 1, conf 0.75; three are right, so acc 0.75 = conf.
    expect(topLabelBinaryEce([0.75, 0.75, 0.75, 0.75], [1, 1, 1, 0])).toBe(0);
    // p = 0.25 is the same confidence for "incorrect": pred 0, conf 0.75, right when the label is 0.
    expect(topLabelBinaryEce([0.25, 0.25, 0.25, 0.25], [0, 0, 0, 1])).toBe(0);
    expect(topLabelBinaryEce([1, 0, 1], [1, 0, 0])).toBeNaN();
  });

  it('honours the bin count and validates inputs', () => {
    // 2 bins [0, .5), [.5, 1): confs 0.9 (hit), 0.8 (miss), 0.7 (hit), 0.5 (miss), 0.65 (hit) all in bin 1:
    // mean conf 3.55/5 = 0.71, acc 3/5 = 0.6 → ECE 0.11.
    expect(topLabelBinaryEce(P, Y, 2)).toBeCloseTo(0.11, 12);
    expect(() => topLabelBinaryEce([0.5], [1, 0])).toThrow(RangeError);
    expect(() => topLabelBinaryEce([1.5], [1])).toThrow(RangeError);
    expect(() => topLabelBinaryEce([NaN], [1])).toThrow(RangeError);
    expect(() => topLabelBinaryEce([0.5], [2])).toThrow(RangeError);
    expect(() => topLabelBinaryEce([0.5], [1], 0)).toThrow(RangeError);
  });
});

describe('reliabilityEce (conf = P(correct), target = label)', () => {
  it('equals the hand computation, including the 0.3 edge that numpy puts in bin 2', () => {
    // p=0.9 → bin 9 (y 1); 0.8 → bin 8 (y 0); 0.3 < 0.30000000000000004 → bin 2 (y 0); 0.5 → bin 5 (y 1);
    // 1.0 → dropped; 0.0 → bin 0 (y 0); 0.65 → bin 6 (y 1).  N_binned = 6.
    // Gaps: bin0 0, bin2 0.3, bin5 0.5, bin6 0.35, bin8 0.8, bin9 0.1 → ECE = 2.05 / 6.
    expect(reliabilityEce(P, Y)).toBeCloseTo(2.05 / 6, 12);
    const diagram = reliabilityDiagram(P, Y, 'reliability');
    expect(diagram.bins.map((b) => b.count)).toEqual([1, 0, 1, 0, 0, 1, 1, 0, 1, 1]);
    expect(diagram).toMatchObject({ binned: 6, dropped: 1 });
  });

  it('differs from the top-label form, which scores the prediction "correct or not" rather than P(correct)', () => {
    // p = 0.7 and p = 0.3, both answers right. Top-label: pred 1 (conf 0.7, hit) and pred 0 (conf 1 − 0.3 = 0.7, miss),
    // one bin with conf 0.7 and acc 0.5 → 0.2. Reliability: |0.7 − 1| = 0.3 (bin 6) and |0.3 − 1| = 0.7 (bin 2) → 0.5.
    expect(topLabelBinaryEce([0.7, 0.3], [1, 1])).toBeCloseTo(0.2, 12);
    expect(reliabilityEce([0.7, 0.3], [1, 1])).toBeCloseTo(0.5, 12);
    // p = 0.2 five times, one right: top-label conf 0.8 with acc 4/5; reliability conf 0.2 with mean label 1/5.
    expect(topLabelBinaryEce([0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0, 1])).toBeCloseTo(0, 12);
    expect(reliabilityEce([0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0, 1])).toBeCloseTo(0, 12);
  });
});
