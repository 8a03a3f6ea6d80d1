import { Rng } from './rng';
import {
  certificateLog2, constrictionRatioLog10, log2SumFromNatural, normalizedLog2Ratio, responseTokenCount, scoreSequence,
  selectFirstAccepted, SequenceScores, validAccepts,
} from './valid';

describe('VALID sequence scores', () => {
  it('converts natural-log token probabilities to a base-2 sum', () => {
    expect(log2SumFromNatural([Math.log(0.5), Math.log(0.25)])).toBeCloseTo(-3, 14);
    expect(log2SumFromNatural([])).toBe(0);
    expect(() => log2SumFromNatural([0.1])).toThrow(RangeError);
    expect(() => log2SumFromNatural([NaN])).toThrow(RangeError);
  });

  it('counts N_y without EOS and drops the EOS term from both sums', () => {
    expect(responseTokenCount(5, true)).toBe(4);
    expect(responseTokenCount(5, false)).toBe(5); // cut off by max_new_tokens: every token counts
    expect(() => responseTokenCount(0, true)).toThrow(RangeError);
    const lnL = [Math.log(0.5), Math.log(0.5), Math.log(0.9)];
    const lnG = [Math.log(0.25), Math.log(0.5), Math.log(0.1)];
    expect(scoreSequence(lnL, lnG, true)).toEqual({ log2L: -2, log2G: -3, nTokens: 2 });
    const noEos = scoreSequence(lnL, lnG);
    expect(noEos.nTokens).toBe(3);
    expect(noEos.log2L).toBeCloseTo(-2 + Math.log2(0.9), 12);
  });

  it('normalises the ratio per token, with a defined value for empty responses', () => {
    expect(normalizedLog2Ratio(-10, -20, 5)).toBe(2);
    expect(normalizedLog2Ratio(0, 0, 0)).toBe(0);
    expect(normalizedLog2Ratio(-1, -3, 0)).toBe(Infinity);
    expect(normalizedLog2Ratio(-3, -1, 0)).toBe(-Infinity);
  });
});

describe('VALID acceptance and certificate', () => {
  it('accepts exactly when log2 L − log2 G ≤ k·N (boundary included)', () => {
    expect(validAccepts(-10, -20, 5, 2)).toBe(true);
    expect(validAccepts(-10, -20, 5, 1.999)).toBe(false);
    expect(validAccepts(-30, -20, 5, -2)).toBe(true); // negative k demands L below G
    expect(validAccepts(-29, -20, 5, -2)).toBe(false);
    expect(() => validAccepts(-1, -2, 1.5, 1)).toThrow(RangeError);
  });

  it('computes log2 ε_y = k·N + log2 T + log2 G', () => {
    expect(certificateLog2(2, 5, 4, -20)).toBe(-8);
    expect(certificateLog2(0, 7, 1, -33.5)).toBe(-33.5);
    expect(certificateLog2(-1, 3, 8, -10)).toBe(-10);
    expect(() => certificateLog2(1, 3, 0, -10)).toThrow(RangeError);
    expect(() => certificateLog2(1, 3, 1.5, -10)).toThrow(RangeError);
  });

  it('bounds the exact meta-model probability M(y|x) by ε_y for every y (Theorem, spec §2)', () => {
    // A toy model over 30 responses of 1..8 tokens: L(·|x) and G arbitrary distributions. The exact
    // probability that VALID(T) emits y is L(y)·1[acc y]·(1 − (1 − a)^T)/a with a = Σ_acc L.
    const rng = new Rng('valid-theorem');
    for (let trial = 0; trial < 20; trial++) {
      const n = 30;
      const lengths = Array.from({ length: n }, () => rng.intRange(1, 8));
      const normalise = (w: number[]) => w.map((v) => v / w.reduce((a, b) => a + b, 0));
      const L = normalise(Array.from({ length: n }, () => rng.gamma(0.3)));
      const G = normalise(Array.from({ length: n }, () => rng.gamma(0.3)));
      const k = rng.uniform(-1, 2);
      const T = rng.intRange(1, 6);
      const accepted = L.map((l, i) => validAccepts(Math.log2(l), Math.log2(G[i]), lengths[i], k));
      const a = L.reduce((s, l, i) => s + (accepted[i] ? l : 0), 0);
      for (let i = 0; i < n; i++) {
        const m = accepted[i] ? (L[i] * (1 - Math.pow(1 - a, T))) / a : 0;
        expect(Math.log2(m)).toBeLessThanOrEqual(certificateLog2(k, lengths[i], T, Math.log2(G[i])) + 1e-9);
      }
    }
  });

  it('reports the constriction ratio L/ε_y in log10', () => {
    const y: SequenceScores = { log2L: -10, log2G: -20, nTokens: 5 };
    expect(constrictionRatioLog10(y, 2, 4)).toBeCloseTo(-2 * Math.log10(2), 12);
  });
});

describe('selectFirstAccepted', () => {
  const rejected = { log2L: -5, log2G: -40, nTokens: 5, id: 'a' }; // 7 bits/token
  const acceptedA = { log2L: -30, log2G: -35, nTokens: 5, id: 'b' }; // 1 bit/token
  const acceptedB = { log2L: -12, log2G: -20, nTokens: 4, id: 'c' }; // 2 bits/token

  it('returns the first accepted attempt in draw order with every attempt reported', () => {
    const sut = selectFirstAccepted([rejected, acceptedA, acceptedB], 2, 3);
    expect(sut.status).toBe('accepted');
    expect(sut.index).toBe(1);
    expect(sut.attempt?.id).toBe('b');
    expect(sut.certificateLog2).toBe(2 * 5 + Math.log2(3) - 35);
    expect(sut.attempts.map((a) => a.accepted)).toEqual([false, true, true]);
    expect(sut.attempts[0]).toMatchObject({ index: 0, log2Ratio: 35, normalizedLog2Ratio: 7, nTokens: 5 });
    expect(sut.attempts[2]).toMatchObject({ index: 2, log2Ratio: 8, normalizedLog2Ratio: 2 });
  });

  it('abstains when nothing is accepted', () => {
    const sut = selectFirstAccepted([rejected, rejected], 1, 4);
    expect(sut).toMatchObject({ status: 'abstained', index: null, attempt: null, certificateLog2: null });
    expect(sut.attempts).toHaveLength(2);
    expect(selectFirstAccepted([], 1, 1).status).toBe('abstained');
  });

  it('rejects a draw whose certificate exceeds maxLog2Epsilon, ratio test passed or not, and says why', () => {
    // acceptedA: log2 ε = 2·5 + log2 3 − 35 ≈ −23.4; acceptedB: 2·4 + log2 3 − 20 ≈ −10.4.
    const sut = selectFirstAccepted([rejected, acceptedB, acceptedA], 2, 3, { maxLog2Epsilon: -20 });
    expect(sut.status).toBe('accepted');
    expect(sut.index).toBe(2);
    expect(sut.attempts.map((a) => [a.accepted, a.rejection])).toEqual([
      [false, 'ratio'],
      [false, 'epsilon-cap'],
      [true, undefined],
    ]);
    expect(selectFirstAccepted([acceptedB], 2, 3, { maxLog2Epsilon: -11 }).status).toBe('abstained');
    expect(selectFirstAccepted([acceptedB], 2, 3, { maxLog2Epsilon: 8 + Math.log2(3) - 20 }).status).toBe('accepted');
  });

  it('refuses more attempts than T, which the certificate would not cover', () => {
    expect(() => selectFirstAccepted([rejected, acceptedA], 2, 1)).toThrow(RangeError);
  });

  it('emits each y with frequency matching the exact meta-model probability', () => {
    // Sequential VALID simulated with selectFirstAccepted over T fresh draws from L.
    const rng = new Rng('valid-frequency');
    const ys: SequenceScores[] = [
      { log2L: Math.log2(0.5), log2G: Math.log2(0.1), nTokens: 2 }, // ratio 1.16 bits/token
      { log2L: Math.log2(0.3), log2G: Math.log2(0.6), nTokens: 2 }, // -0.5
      { log2L: Math.log2(0.2), log2G: Math.log2(0.3), nTokens: 1 }, // -0.58
    ];
    const L = [0.5, 0.3, 0.2];
    const k = 1;
    const T = 2;
    const counts = [0, 0, 0, 0];
    const runs = 40_000;
    for (let r = 0; r < runs; r++) {
      const draws = Array.from({ length: T }, () => ({ ...ys[rng.categorical(L)] }));
      const out = selectFirstAccepted(draws, k, T);
      counts[out.status === 'accepted' ? ys.findIndex((y) => y.log2L === out.attempt.log2L) : 3]++;
    }
    const a = 0.5; // acceptance rate: y1 and y2 are accepted
    const exact = [0, (0.3 * (1 - (1 - a) ** T)) / a, (0.2 * (1 - (1 - a) ** T)) / a, (1 - a) ** T];
    counts.forEach((c, i) => expect(Math.abs(c / runs - exact[i])).toBeLessThan(0.01));
  });
});
