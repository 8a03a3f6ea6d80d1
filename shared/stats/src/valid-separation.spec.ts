import { Rng } from './rng';
import { kForTargetFrr } from './valid-eval';
import { kForFrrConformal, separationSummary } from './valid-separation';

/** Items with N_y tokens whose normalised ratio is exactly `ratio` (log2 L = log2 G + ratio·N_y). */
const item = (ratio: number, nTokens = 10, log2G = -20) => ({ nTokens, log2G, log2L: log2G + ratio * nTokens });

describe('VALID separation summary, held out (hand-computed values)', () => {
  const id = Array.from({ length: 10 }, (_, i) => item(i / 10)); // ratios 0 .. 0.9
  const ood = [item(0.05), item(2), item(3), item(4)];
  // Calibration: ID ratios 0, .2, .4, .6, .8 and OOD 0.05, 2; held out: ID .1, .3, .5, .7, .9 and OOD 3, 4.
  const calibration = { inDomain: [0, 2, 4, 6, 8], outOfDomain: [0, 1] };

  it('k from the calibration part, every headline figure on the held-out part, in-sample figures apart', () => {
    const s = separationSummary(id, ood, { targetFrr: 0.2, T: 2, calibration });
    expect(s.evaluation).toBe('held-out');
    expect(s.split).toEqual({ calibrationFraction: 0.5, seed: null, calibration: { inDomain: 5, outOfDomain: 2 }, heldOut: { inDomain: 5, outOfDomain: 2 } });
    expect(s.heldOut).toEqual({ inDomain: [1, 3, 5, 7, 9], outOfDomain: [2, 3] });
    expect(s.k).toBeCloseTo(0.8, 12); // conformal rank ⌈6·0.8⌉ = 5: the largest of the five calibration ratios
    expect(s.frr).toBeCloseTo(0.2, 12); // held out: 0.9 > 0.8
    expect(s.oodRejection).toBe(1); // held out: 3 and 4
    expect(s.auroc).toBe(1);
    expect(s.domainCertificateLog2).toBeCloseTo(0.8 * 10 + 1 - 20, 10);
    // Youden on calibration: k = 0.8 (FRR 0, rejects 2 but not 0.05: J = 0.5); held out: FRR 0.2, OOD 1, J 0.8.
    expect(s.youden).toEqual({ k: expect.closeTo(0.8, 12), j: expect.closeTo(0.8, 12), frr: expect.closeTo(0.2, 12), oodRejection: 1 });
    // In sample (spec rule): k = type-7 quantile 0.8 of 0 .. 0.9 = 0.72; rejects 0.8, 0.9 and 2, 3, 4.
    expect(s.inSample.operatingPoint).toMatchObject({ k: expect.closeTo(0.72, 12), frr: expect.closeTo(0.2, 12), oodRejection: 0.75 });
    expect(s.inSample.auroc).toBeCloseTo((1 + 3 * 10) / 40, 12);
    expect(s.ratios.inDomain[3]).toBeCloseTo(0.3, 12);
    expect(s.kForTargetEpsilon).toBeNull();
  });

  it('k for a target ε on the calibration OOD, with the ε reached on held-out OOD', () => {
    // Calibration OOD: log2 ε_y = 10k − 20 → k = 0.5 for ε = 2^−15 (the lower end of the bisection bracket).
    const s = separationSummary(id, ood, { targetFrr: 0.2, T: 1, targetEpsilonLog2: -15, calibration });
    expect(s.kForTargetEpsilon!).toBeCloseTo(0.5, 5);
    // k is a hair under 0.5, so the held-out ID ratios 0.5, 0.7 and 0.9 are rejected.
    expect(s.atTargetEpsilon).toMatchObject({ log2Epsilon: -15, frr: expect.closeTo(0.6, 12), oodRejection: 1 });
    expect(s.atTargetEpsilon!.domainCertificateLog2!).toBeCloseTo(-15, 4);
  });

  it('splits each set at random (stratified, seeded) when no split is given, and refuses sets too small to split', () => {
    const a = separationSummary(id, ood, { targetFrr: 0.2, T: 1, splitSeed: 3 });
    const b = separationSummary(id, ood, { targetFrr: 0.2, T: 1, splitSeed: 3 });
    expect(a).toEqual(b);
    expect(a.split).toMatchObject({ seed: 3, calibration: { inDomain: 5, outOfDomain: 2 }, heldOut: { inDomain: 5, outOfDomain: 2 } });
    const chosen = { inDomain: [...Array(10).keys()].filter((i) => !a.heldOut.inDomain.includes(i)), outOfDomain: [...Array(4).keys()].filter((i) => !a.heldOut.outOfDomain.includes(i)) };
    expect(separationSummary(id, ood, { targetFrr: 0.2, T: 1, calibration: chosen })).toMatchObject({ k: a.k, frr: a.frr, oodRejection: a.oodRejection, auroc: a.auroc });
    expect(() => separationSummary([], ood, { targetFrr: 0.1, T: 1 })).toThrow(/in-domain and out-of-domain/);
    expect(() => separationSummary([item(0)], ood, { targetFrr: 0.1, T: 1 })).toThrow(/at least 2 in-domain/);
  });
});

describe('k for a target FRR on new in-domain text', () => {
  it('the conformal rank holds the FRR on a new item at the target; the in-sample quantile does not', () => {
    // 19 calibration ratios and one new one, i.i.d.: P(new > k) is exactly 2/20 = 0.1 for the conformal rank
    // (the 18th smallest), and (20 − 17.2)/20 = 0.14 for the type-7 0.9-quantile (between the 17th and 18th).
    const rng = new Rng('conformal-frr');
    const trials = 20_000;
    let conformal = 0;
    let typeSeven = 0;
    for (let t = 0; t < trials; t++) {
      const calibration = Array.from({ length: 19 }, () => rng.normal());
      const fresh = rng.normal();
      if (fresh > kForFrrConformal(calibration, 0.1)) conformal++;
      if (fresh > kForTargetFrr(calibration, 0.1)) typeSeven++;
    }
    expect(conformal / trials).toBeLessThanOrEqual(0.1 + 3 * Math.sqrt(0.09 / trials));
    expect(conformal / trials).toBeGreaterThan(0.09);
    expect(typeSeven / trials).toBeGreaterThan(0.12);
    expect(kForFrrConformal([3, 1, 2], 0)).toBe(3);
    expect(kForFrrConformal([3, 1, 2], 0.5)).toBe(2); // ⌈4·0.5⌉ = 2
  });
});
