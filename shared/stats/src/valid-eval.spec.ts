import { Rng } from './rng';
import {
  auroc, certifiedAccuracy, constrictionSummary, domainCertificateLog2, kForTargetEpsilon, kForTargetFrr, linspace, rejectionRates, rocCurve, youdenBestK,
} from './valid-eval';
import { histogram } from './histogram';

describe('rejection rates and ROC', () => {
  it('rejects r > k, with OOD as the positive class', () => {
    expect(rejectionRates([0, 1, 2, 3], [2, 3, 4, 5], 2)).toEqual({ k: 2, frr: 0.25, trr: 0.75, youdenJ: 0.5 });
    expect(() => rejectionRates([NaN], [1], 0)).toThrow(RangeError);
  });

  it('builds a monotone ROC from (0,0) to (1,1) whose area is the AUROC', () => {
    const rng = new Rng('roc');
    const id = Array.from({ length: 200 }, () => Math.round(rng.normal(0, 1) * 4) / 4); // coarse: many ties
    const ood = Array.from({ length: 150 }, () => Math.round(rng.normal(1, 1) * 4) / 4);
    const points = rocCurve(id, ood);
    expect(points[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(points[points.length - 1]).toMatchObject({ threshold: -Infinity, fpr: 1, tpr: 1 });
    let area = 0;
    for (let i = 1; i < points.length; i++) {
      expect(points[i].fpr).toBeGreaterThanOrEqual(points[i - 1].fpr);
      expect(points[i].tpr).toBeGreaterThanOrEqual(points[i - 1].tpr);
      area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
    }
    expect(auroc(id, ood)).toBeCloseTo(area, 12);
    for (const p of points.slice(1, -1)) expect(rejectionRates(id, ood, p.threshold)).toMatchObject({ frr: p.fpr, trr: p.tpr });
  });
});

describe('AUROC', () => {
  it('handles separated, reversed and fully tied samples', () => {
    expect(auroc([0, 1, 2], [3, 4])).toBe(1);
    expect(auroc([3, 4], [0, 1, 2])).toBe(0);
    expect(auroc([1, 1, 1], [1, 1])).toBe(0.5);
  });

  it('counts ties as one half (Mann–Whitney)', () => {
    // OOD 0.5 beats 0.1 and ties 0.5 twice (2); 0.9 beats all (3); 0.2 beats 0.1 (1): 6 of 9 pairs.
    expect(auroc([0.1, 0.5, 0.5], [0.5, 0.9, 0.2])).toBeCloseTo(6 / 9, 14);
  });

  it('equals the brute-force pair count on random data', () => {
    const rng = new Rng('auroc');
    const id = Array.from({ length: 60 }, () => rng.intRange(0, 9));
    const ood = Array.from({ length: 45 }, () => rng.intRange(2, 12));
    let wins = 0;
    for (const o of ood) for (const i of id) wins += o > i ? 1 : o === i ? 0.5 : 0;
    expect(auroc(id, ood)).toBeCloseTo(wins / (id.length * ood.length), 14);
  });
});

describe('choosing k', () => {
  it("maximises Youden's J over observed thresholds or a grid", () => {
    const id = [0, 1, 2, 2.5];
    const ood = [1.5, 3, 4];
    const best = youdenBestK(id, ood);
    expect(best.k).toBe(2.5);
    expect(best.youdenJ).toBeCloseTo(2 / 3, 14);
    expect(best).toMatchObject({ frr: 0, trr: 2 / 3 });
    const grid = youdenBestK(id, ood, linspace(0, 4, 9)); // 0, 0.5, ..., 4
    expect(grid.k).toBe(2.5);
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('takes k for a target FRR as the (1 − FRR) type-7 quantile of ID ratios', () => {
    const id = Array.from({ length: 100 }, (_, i) => i);
    const k = kForTargetFrr(id, 0.1);
    expect(k).toBeCloseTo(89.1, 12);
    expect(rejectionRates(id, [0], k).frr).toBe(0.1);
    expect(kForTargetFrr(id, 0)).toBe(99);
    expect(kForTargetFrr(id, 1)).toBe(0);
    expect(() => kForTargetFrr(id, 1.2)).toThrow(RangeError);
    expect(() => kForTargetFrr([Infinity], 0.1)).toThrow(RangeError);
  });

  it('finds k for a target ε by bisection on the domain certificate', () => {
    const ood = [{ log2G: -50, nTokens: 10 }, { log2G: -30, nTokens: 5 }];
    // max(−50 + 10k, −30 + 5k) = −20 at k = 2 (the second item dominates there).
    const k = kForTargetEpsilon(ood, -20, 1);
    expect(k).not.toBeNull();
    expect(k!).toBeCloseTo(2, 5);
    expect(domainCertificateLog2(ood, k!, 1)).toBeLessThanOrEqual(-20);
    expect(domainCertificateLog2(ood, k!, 1)).toBeCloseTo(-20, 5);
    // Above k = 4 the first item dominates: max = −50 + 10k = 0 at k = 5.
    expect(kForTargetEpsilon(ood, 0, 1)!).toBeCloseTo(5, 5);
    // T enters as + log2 T.
    expect(kForTargetEpsilon(ood, -20, 4)!).toBeCloseTo(1.6, 5);
    expect(kForTargetEpsilon(ood, -2000, 1)).toBeNull();
    expect(kForTargetEpsilon(ood, 2000, 1)).toBe(100);
  });

  it('computes the domain certificate as the max atomic certificate over OOD', () => {
    const ood = [{ log2G: -50, nTokens: 10 }, { log2G: -30, nTokens: 5 }];
    expect(domainCertificateLog2(ood, 1, 2)).toBe(Math.max(-40, -25) + 1);
    expect(() => domainCertificateLog2([], 1, 1)).toThrow(RangeError);
  });
});

describe('certified benchmarking and constriction', () => {
  it('counts an item only when correct and accepted', () => {
    const items = [
      { correct: true, normalizedLog2Ratio: 1 },
      { correct: true, normalizedLog2Ratio: 3 },
      { correct: false, normalizedLog2Ratio: 0 },
      { correct: true, normalizedLog2Ratio: 2 },
    ];
    expect(certifiedAccuracy(items, 2)).toEqual({ accuracy: 0.5, frr: 0.25, n: 4 });
    expect(certifiedAccuracy(items, -1)).toEqual({ accuracy: 0, frr: 1, n: 4 });
  });

  it('summarises log10 constriction ratios by quantiles', () => {
    const items = Array.from({ length: 11 }, (_, i) => ({ log2L: -10 - i, log2G: -20, nTokens: 5 }));
    const s = constrictionSummary(items, 2, 1); // log2 CR = log2L + 10
    expect(s.median).toBeCloseTo(-5 * Math.log10(2), 12);
    expect(s.q10).toBeCloseTo(-9 * Math.log10(2), 12);
    expect(s.q90).toBeCloseTo(-1 * Math.log10(2), 12);
  });
});

describe('histogram', () => {
  it('bins like numpy.histogram', () => {
    // np.histogram([0,0.1,0.2,0.5,1,1], bins=4) -> [3,0,1,2], density [2,0,0.667,1.333]
    const h = histogram([0, 0.1, 0.2, 0.5, 1.0, 1.0], { bins: 4 });
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.counts).toEqual([3, 0, 1, 2]);
    h.density.forEach((d, i) => expect(d).toBeCloseTo([2, 0, 2 / 3, 4 / 3][i], 12));
    expect(histogram([2, 2, 2], { bins: 2 })).toMatchObject({ edges: [1.5, 2, 2.5], counts: [0, 3] });
  });

  it('honours a fixed range and counts what falls outside', () => {
    const h = histogram([-1, 0, 0.5, 1, 2, NaN], { bins: 2, range: [0, 1] });
    expect(h.counts).toEqual([1, 2]);
    expect(h.excluded).toBe(3);
    expect(() => histogram([1], { bins: 0 })).toThrow(RangeError);
  });
});
