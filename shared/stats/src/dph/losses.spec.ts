import { Rng } from '../rng';
import { contrastiveDphLoss, dphLoss, separableDphLoss, separableRewardAnchor } from './losses';

const LN3 = Math.log(3);

/** Central differences of f over the concatenated rewards [chosen..., rejected...]. */
function numericGradient(f: (w: number[], l: number[]) => number, w: number[], l: number[], h = 1e-6): number[] {
  const all = [...w, ...l];
  return all.map((_, i) => {
    const up = [...all];
    const down = [...all];
    up[i] += h;
    down[i] -= h;
    return (f(up.slice(0, w.length), up.slice(w.length)) - f(down.slice(0, w.length), down.slice(w.length))) / (2 * h);
  });
}

describe('separable DPH loss (spec §2)', () => {
  it('equals the hand computation', () => {
    // r_w = r_l = 0, ε = 0.1: each BCE term is −0.9·ln ½ − 0.1·ln ½ = ln 2, total 2·ln 2.
    // ∂/∂r_w = σ(0) − 0.9 = −0.4, ∂/∂r_l = σ(0) − 0.1 = 0.4.
    const zero = separableDphLoss([0], [0], 0.1);
    expect(zero.loss).toBeCloseTo(2 * Math.LN2, 12);
    expect(zero.dChosen[0]).toBeCloseTo(-0.4, 12);
    expect(zero.dRejected[0]).toBeCloseTo(0.4, 12);
    // r_w = ln 3 (σ = ¾), r_l = −ln 3 (σ = ¼): each term −0.9·ln ¾ − 0.1·ln ¼ = 0.9·0.2876821 + 0.1·1.3862944 = 0.3975433.
    // ∂/∂r_w = ¾ − 0.9 = −0.15, ∂/∂r_l = ¼ − 0.1 = 0.15.
    const apart = separableDphLoss([LN3], [-LN3], 0.1);
    expect(apart.loss).toBeCloseTo(2 * (-0.9 * Math.log(0.75) - 0.1 * Math.log(0.25)), 12);
    expect(apart.loss).toBeCloseTo(0.7950866, 6);
    expect(apart.dChosen[0]).toBeCloseTo(-0.15, 12);
    expect(apart.dRejected[0]).toBeCloseTo(0.15, 12);
  });

  it('averages each term over the batch and is stationary at r_w = +Λ, r_l = −Λ, Λ = log((1 − ε)/ε)', () => {
    // Two pairs: the loss is the mean of the two single-pair losses, gradients halve.
    const a = separableDphLoss([0], [0], 0.1);
    const b = separableDphLoss([LN3], [-LN3], 0.1);
    const both = separableDphLoss([0, LN3], [0, -LN3], 0.1);
    expect(both.loss).toBeCloseTo((a.loss + b.loss) / 2, 12);
    expect(both.dChosen[1]).toBeCloseTo(b.dChosen[0] / 2, 12);
    const anchor = separableRewardAnchor(0.1);
    expect(anchor).toBeCloseTo(Math.log(9), 12); // 2.197 as in the spec
    const optimum = separableDphLoss([anchor], [-anchor], 0.1);
    expect(Math.abs(optimum.dChosen[0])).toBeLessThan(1e-12);
    expect(Math.abs(optimum.dRejected[0])).toBeLessThan(1e-12);
  });

  it('with ε = 0 is the plain logistic loss −log σ(r_w) − log σ(−r_l)', () => {
    const rng = new Rng('sep0');
    const w = Array.from({ length: 5 }, () => rng.normal(0, 3));
    const l = Array.from({ length: 5 }, () => rng.normal(0, 3));
    const plain = w.reduce((s, r, i) => s + Math.log(1 + Math.exp(-r)) + Math.log(1 + Math.exp(l[i])), 0) / 5;
    expect(separableDphLoss(w, l, 0).loss).toBeCloseTo(plain, 12);
    expect(separableDphLoss([800], [-800], 0).loss).toBe(0); // no overflow
  });

  it('passes a finite-difference check', () => {
    const rng = new Rng('sep-fd');
    for (const eps of [0, 0.1, 0.5]) {
      const w = Array.from({ length: 4 }, () => rng.normal(0, 2));
      const l = Array.from({ length: 4 }, () => rng.normal(0, 2));
      const out = separableDphLoss(w, l, eps);
      const numeric = numericGradient((a, b) => separableDphLoss(a, b, eps).loss, w, l);
      [...out.dChosen, ...out.dRejected].forEach((g, i) => expect(g).toBeCloseTo(numeric[i], 8));
    }
  });
});

describe('contrastive DPH loss (spec §2)', () => {
  it('equals the hand computation: at Δ = ln 9 it is the binary entropy of (0.9, 0.1), its minimum', () => {
    // Δ = ln 3 − (−ln 3) = ln 9, σ(Δ) = 0.9: −0.9·ln 0.9 − 0.1·ln 0.1 = 0.0948245 + 0.2302585; gradient σ(Δ) − 0.9 = 0.
    const out = contrastiveDphLoss([LN3], [-LN3], 0.1);
    expect(out.loss).toBeCloseTo(-0.9 * Math.log(0.9) - 0.1 * Math.log(0.1), 12);
    expect(out.loss).toBeCloseTo(0.325083, 6);
    expect(Math.abs(out.dChosen[0])).toBeLessThan(1e-12);
    // Δ = 0: loss ln 2, ∂/∂r_w = ½ − 0.9 = −0.4 = −∂/∂r_l.
    const tie = contrastiveDphLoss([1.5], [1.5], 0.1);
    expect(tie.loss).toBeCloseTo(Math.LN2, 12);
    expect(tie.dChosen[0]).toBeCloseTo(-0.4, 12);
    expect(tie.dRejected[0]).toBeCloseTo(0.4, 12);
  });

  it('is invariant to a common shift and, at ε = 0, is −log σ(r_w − r_l) and never above the separable loss', () => {
    const rng = new Rng('con0');
    const w = Array.from({ length: 6 }, () => rng.normal(0, 2));
    const l = Array.from({ length: 6 }, () => rng.normal(0, 2));
    expect(contrastiveDphLoss(w.map((r) => r + 7), l.map((r) => r + 7), 0.1).loss).toBeCloseTo(contrastiveDphLoss(w, l, 0.1).loss, 12);
    const plain = w.reduce((s, r, i) => s + Math.log(1 + Math.exp(-(r - l[i]))), 0) / 6;
    expect(contrastiveDphLoss(w, l, 0).loss).toBeCloseTo(plain, 12);
    expect(separableDphLoss(w, l, 0).loss).toBeGreaterThanOrEqual(contrastiveDphLoss(w, l, 0).loss);
    expect(dphLoss('contrastive', w, l, 0.2).loss).toBe(contrastiveDphLoss(w, l, 0.2).loss);
  });

  it('passes a finite-difference check', () => {
    const rng = new Rng('con-fd');
    for (const eps of [0, 0.1, 0.3]) {
      const w = Array.from({ length: 4 }, () => rng.normal(0, 2));
      const l = Array.from({ length: 4 }, () => rng.normal(0, 2));
      const out = contrastiveDphLoss(w, l, eps);
      const numeric = numericGradient((a, b) => contrastiveDphLoss(a, b, eps).loss, w, l);
      [...out.dChosen, ...out.dRejected].forEach((g, i) => expect(g).toBeCloseTo(numeric[i], 8));
    }
  });

  it('rejects bad input', () => {
    expect(() => separableDphLoss([1], [1, 2])).toThrow(RangeError);
    expect(() => separableDphLoss([], [])).toThrow(RangeError);
    expect(() => contrastiveDphLoss([1], [1], 0.6)).toThrow(RangeError);
    expect(() => contrastiveDphLoss([NaN], [1])).toThrow(RangeError);
  });
});
