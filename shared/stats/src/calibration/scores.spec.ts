import { Rng } from '../rng';
import { reliabilityEce, topLabelBinaryEce } from './ece';
import { accuracyCoverageCurve, binaryNll, brierScore, correctnessAuroc, NLL_CLIP, selectiveAccuracy } from './scores';
import { calibrationMetrics } from './summary';

describe('correctnessAuroc', () => {
  it('counts ties half (mid-ranks), as sklearn', () => {
    // Correct answers score 0.9, 0.8, 0.8; wrong ones 0.8, 0.3. Pairs (correct, wrong):
    // (0.9,0.8)=1 (0.9,0.3)=1 (0.8,0.8)=½ (0.8,0.3)=1 (0.8,0.8)=½ (0.8,0.3)=1 → 5/6.
    expect(correctnessAuroc([0.9, 0.8, 0.8, 0.3, 0.8], [1, 1, 0, 0, 1])).toBeCloseTo(5 / 6, 12);
    expect(correctnessAuroc([0.2, 0.4], [1, 0])).toBe(0);
    expect(correctnessAuroc([0.5, 0.5, 0.5], [1, 0, 1])).toBe(0.5);
  });

  it('is NaN with one class, as the reference code for a one-class split', () => {
    expect(correctnessAuroc([0.1, 0.9], [1, 1])).toBeNaN();
    expect(correctnessAuroc([], [])).toBeNaN();
  });
});

describe('brierScore and binaryNll', () => {
  it('equal the hand computation', () => {
    // Squared errors 0.1², 0.2², 0.8², 0.3², 0.2² = 0.01 + 0.04 + 0.64 + 0.09 + 0.04 = 0.82 → 0.82 / 5.
    expect(brierScore([0.9, 0.8, 0.8, 0.3, 0.8], [1, 1, 0, 0, 1])).toBeCloseTo(0.164, 12);
    // −(ln 0.8 + ln(1 − 0.4)) / 2 = (0.2231435513 + 0.5108256238) / 2.
    expect(binaryNll([0.8, 0.4], [1, 0])).toBeCloseTo((Math.log(1 / 0.8) + Math.log(1 / 0.6)) / 2, 12);
    expect(binaryNll([0.5], [1])).toBeCloseTo(Math.LN2, 12);
  });

  it('clips probabilities at 1e-15 so a confident mistake costs about 34.5 nats, not infinity', () => {
    expect(NLL_CLIP).toBe(1e-15);
    expect(binaryNll([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(binaryNll([0], [1])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(binaryNll([1, 0], [1, 0])).toBeLessThan(1e-14);
  });
});

describe('selectiveAccuracy and the accuracy–coverage curve', () => {
  const p = [0.9, 0.8, 0.8, 0.8, 0.3, 0.2];
  const y = [1, 1, 0, 0, 1, 0];

  it('keeps the ⌈coverage·N⌉ most confident answers, a cut tie group counting at its mean correctness', () => {
    // 50%: keep 3 = 0.9 (right) + 2 of the three 0.8s (1 right of 3 → 2/3 expected) → (1 + 2/3) / 3 = 5/9.
    expect(selectiveAccuracy(p, y, 0.5)).toBeCloseTo(5 / 9, 12);
    // 80%: ⌈4.8⌉ = 5 = 0.9, the three 0.8s and 0.3 → right: 1 + 1 + 1 = 3 → 3/5.
    expect(selectiveAccuracy(p, y, 0.8)).toBeCloseTo(0.6, 12);
    // 100%: plain accuracy 3/6.
    expect(selectiveAccuracy(p, y, 1)).toBe(0.5);
    // 0.8 · 10 = 8.000000000000002 in floating point must keep 8, not 9.
    expect(selectiveAccuracy(Array.from({ length: 10 }, (_, i) => i / 10), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1], 0.8)).toBe(1);
  });

  it('does not depend on the order of the inputs', () => {
    const rng = new Rng('order');
    const pp = Array.from({ length: 50 }, () => Math.round(rng.next() * 5) / 5); // heavy ties
    const yy = pp.map(() => (rng.next() < 0.5 ? 1 : 0));
    const order = rng.shuffle(Array.from({ length: 50 }, (_, i) => i));
    for (const c of [0.3, 0.5, 0.8, 1]) {
      expect(selectiveAccuracy(order.map((i) => pp[i]), order.map((i) => yy[i]), c)).toBeCloseTo(selectiveAccuracy(pp, yy, c), 12);
    }
  });

  it('draws one curve point per distinct confidence, ending at coverage 1', () => {
    expect(accuracyCoverageCurve(p, y)).toEqual([
      { coverage: 1 / 6, accuracy: 1, threshold: 0.9 },
      { coverage: 4 / 6, accuracy: 2 / 4, threshold: 0.8 },
      { coverage: 5 / 6, accuracy: 3 / 5, threshold: 0.3 },
      { coverage: 1, accuracy: 3 / 6, threshold: 0.2 },
    ]);
  });

  it('validates its inputs', () => {
    expect(() => selectiveAccuracy(p, y, 0)).toThrow(RangeError);
    expect(() => selectiveAccuracy(p, y, 1.5)).toThrow(RangeError);
    expect(selectiveAccuracy([], [], 0.5)).toBeNaN();
  });
});

describe('calibrationMetrics', () => {
  it('gathers every metric of one method on one split', () => {
    const p = [0.9, 0.8, 0.8, 0.8, 0.3, 0.2];
    const y = [1, 1, 0, 0, 1, 0];
    const m = calibrationMetrics(p, y);
    expect(m).toMatchObject({ n: 6, accuracy: 0.5, selectiveAccuracy80: 0.6, selectiveAccuracy100: 0.5 });
    expect(m.selectiveAccuracy50).toBeCloseTo(5 / 9, 12);
    expect(m.ece).toBe(reliabilityEce(p, y));
    expect(m.eceTopLabel).toBe(topLabelBinaryEce(p, y));
    expect(m.auroc).toBe(correctnessAuroc(p, y));
    expect(m.brier).toBe(brierScore(p, y));
    expect(m.nll).toBe(binaryNll(p, y));
  });
});
