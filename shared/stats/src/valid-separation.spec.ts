import { separationSummary } from './valid-separation';

/** Items with N_y tokens whose normalised ratio is exactly `ratio` (log2 L = log2 G + ratio·N_y). */
const item = (ratio: number, nTokens = 10, log2G = -20) => ({ nTokens, log2G, log2L: log2G + ratio * nTokens });

describe('VALID separation summary (hand-computed values)', () => {
  const id = Array.from({ length: 10 }, (_, i) => item(i / 10)); // ratios 0 .. 0.9
  const ood = [item(0.05), item(2), item(3), item(4)];

  it('k at the target FRR, the rates, AUROC, Youden and the domain certificate at k', () => {
    const s = separationSummary(id, ood, { targetFrr: 0.1, T: 2 });
    expect(s.k).toBeCloseTo(0.81, 10); // type-7 quantile 0.9 of 0, 0.1, ..., 0.9
    expect(s.frr).toBeCloseTo(0.1, 10); // 0.9 > 0.81
    expect(s.oodRejection).toBeCloseTo(0.75, 10); // 2, 3, 4 > 0.81; 0.05 is not
    // P(r_OOD > r_ID): 0.05 beats one ID ratio (0), the other three beat all ten.
    expect(s.auroc).toBeCloseTo((1 + 3 * 10) / 40, 10);
    // max over OOD of k·N + log2 T + log2 G = 0.81·10 + 1 − 20.
    expect(s.domainCertificateLog2).toBeCloseTo(0.81 * 10 + 1 - 20, 10);
    // Best J: reject above 0.9 keeps all ID (FRR 0) and rejects the three large OOD ratios (0.75).
    expect(s.youden.j).toBeCloseTo(0.75, 10);
    expect(s.youden.frr).toBe(0);
    expect(s.youden.oodRejection).toBeCloseTo(0.75, 10);
    expect(s.kForTargetEpsilon).toBeNull();
    expect(s.atTargetEpsilon).toBeUndefined();
    expect(s.ratios.inDomain[3]).toBeCloseTo(0.3, 12);
  });

  it('finds k for a target ε: the certificate at that k is within ε', () => {
    // log2 ε_y = k·10 + log2 1 − 20 for every OOD item: ε = 2^−15 needs k = 0.5.
    const s = separationSummary(id, ood, { targetFrr: 0.1, T: 1, targetEpsilonLog2: -15 });
    expect(s.kForTargetEpsilon!).toBeCloseTo(0.5, 5);
    expect(s.kForTargetEpsilon! * 10 - 20).toBeLessThanOrEqual(-15);
    // The returned k is the lower end of the bisection bracket (a hair under 0.5): ID ratios 0.5 .. 0.9 are rejected.
    expect(s.kForTargetEpsilon!).toBeLessThanOrEqual(0.5);
    expect(s.atTargetEpsilon).toMatchObject({ log2Epsilon: -15, frr: 0.5, oodRejection: 0.75 });
  });

  it('refuses an empty set', () => {
    expect(() => separationSummary([], ood, { targetFrr: 0.1, T: 1 })).toThrow(/in-domain and out-of-domain/);
  });
});
