import { Rng } from '../rng';
import { calibrationTuningLoss, jensenShannonToReference, pCorrectFromOptionLogits, queryCrossEntropy } from './query-loss';

/** Largest |analytic − central difference| / max(1e-6, |analytic| + |numeric|) over the entries of x. */
function worstRelativeError(f: (x: number[]) => number, x: number[], analytic: ArrayLike<number>, h = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const up = [...x];
    const down = [...x];
    up[i] += h;
    down[i] -= h;
    const numeric = (f(up) - f(down)) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic[i])));
  }
  return worst;
}

describe('pCorrectFromOptionLogits (spec §2: softmax over the "i"/"ii" logits, index 1 = yes)', () => {
  it('is the 2-way softmax, temperature included', () => {
    // z_no = 0, z_yes = ln 3 → 3/(1 + 3) = 0.75; at T = 2 → √3/(1 + √3).
    expect(pCorrectFromOptionLogits(0, Math.log(3))).toBeCloseTo(0.75, 12);
    expect(pCorrectFromOptionLogits(0, Math.log(3), 2)).toBeCloseTo(Math.sqrt(3) / (1 + Math.sqrt(3)), 12);
    expect(pCorrectFromOptionLogits(5, 5)).toBe(0.5);
    // Only the difference matters (full-vocabulary mass is ignored), and huge logits do not overflow.
    expect(pCorrectFromOptionLogits(1000, 1002)).toBeCloseTo(pCorrectFromOptionLogits(0, 2), 12);
    expect(pCorrectFromOptionLogits(-800, 800)).toBe(1);
    expect(() => pCorrectFromOptionLogits(NaN, 0)).toThrow(RangeError);
    expect(() => pCorrectFromOptionLogits(0, 0, 0)).toThrow(RangeError);
  });
});

describe('queryCrossEntropy', () => {
  it('equals the hand computation and its gradient is softmax − one-hot', () => {
    // z = [0, ln 3]: p_yes = 3/4. Label 1: loss ln(4/3), ∂/∂z_yes = 3/4 − 1, ∂/∂z_no = 1/4. Label 0: loss ln 4.
    const yes = queryCrossEntropy(0, Math.log(3), 1);
    expect(yes.loss).toBeCloseTo(Math.log(4 / 3), 12);
    expect(yes.dYes).toBeCloseTo(-0.25, 12);
    expect(yes.dNo).toBeCloseTo(0.25, 12);
    const no = queryCrossEntropy(0, Math.log(3), 0);
    expect(no.loss).toBeCloseTo(Math.log(4), 12);
    expect(no.dYes).toBeCloseTo(0.75, 12);
    expect(() => queryCrossEntropy(0, 0, 2)).toThrow(RangeError);
  });

  it('passes a finite-difference check', () => {
    const rng = new Rng('ce');
    for (let k = 0; k < 20; k++) {
      const z = [rng.normal(0, 3), rng.normal(0, 3)];
      const label = k % 2;
      const ce = queryCrossEntropy(z[0], z[1], label);
      expect(worstRelativeError((x) => queryCrossEntropy(x[0], x[1], label).loss, z, [ce.dNo, ce.dYes])).toBeLessThan(1e-6);
    }
  });
});

describe('jensenShannonToReference', () => {
  it('equals the hand computation on a 2-token vocabulary and is 0 for identical distributions', () => {
    // p = (½, ½), q = (¼, ¾), m = (3/8, 5/8).
    // KL(p‖m) = ½ ln(4/3) + ½ ln(4/5) = ½ ln(16/15); KL(q‖m) = ¼ ln(2/3) + ¾ ln(6/5).
    // JSD = ½ KL(p‖m) + ½ KL(q‖m) = ¼ ln(16/15) + ⅛ ln(2/3) + ⅜ ln(6/5) ≈ 0.0338221.
    const expected = 0.25 * Math.log(16 / 15) + 0.125 * Math.log(2 / 3) + 0.375 * Math.log(6 / 5);
    expect(jensenShannonToReference([0, 0], [0, Math.log(3)]).value).toBeCloseTo(expected, 12);
    const same = jensenShannonToReference([1, 2, 3], [11, 12, 13]); // same softmax: shift-invariant
    expect(same.value).toBeCloseTo(0, 12);
    same.grad.forEach((g) => expect(Math.abs(g)).toBeLessThan(1e-12));
    // Disjoint supports reach the maximum ln 2.
    expect(jensenShannonToReference([0, -800], [-800, 0]).value).toBeCloseTo(Math.LN2, 9);
  });

  it('passes a finite-difference check of its gradient in the trainable logits', () => {
    const rng = new Rng('jsd');
    for (let k = 0; k < 10; k++) {
      const z = Array.from({ length: 7 }, () => rng.normal(0, 2));
      const ref = Array.from({ length: 7 }, () => rng.normal(0, 2));
      const { grad } = jensenShannonToReference(z, ref);
      expect(worstRelativeError((x) => jensenShannonToReference(x, ref).value, z, grad)).toBeLessThan(1e-5);
      expect(grad.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12); // softmax gradients sum to 0
    }
  });
});

describe('calibrationTuningLoss (§3.1: mean CE + klWeight · mean over examples of Σ_positions JSD)', () => {
  it('combines the pieces and its gradients pass a finite-difference check', () => {
    const rng = new Rng('ct');
    const vocab = 5;
    const make = (positions: number, label: number) => ({
      query: { zNo: rng.normal(0, 1), zYes: rng.normal(0, 1), label },
      gold: {
        logits: Array.from({ length: positions }, () => Array.from({ length: vocab }, () => rng.normal(0, 1))),
        refLogits: Array.from({ length: positions }, () => Array.from({ length: vocab }, () => rng.normal(0, 1))),
      },
    });
    const batch = [make(2, 1), make(3, 0)];
    const out = calibrationTuningLoss(batch, 0.7);
    const ce = batch.map((e) => queryCrossEntropy(e.query.zNo, e.query.zYes, e.query.label).loss);
    const jsd = batch.map((e) => e.gold.logits.reduce((s, z, t) => s + jensenShannonToReference(z, e.gold.refLogits[t]).value, 0));
    expect(out.queryLoss).toBeCloseTo((ce[0] + ce[1]) / 2, 12);
    expect(out.klLoss).toBeCloseTo((jsd[0] + jsd[1]) / 2, 12);
    expect(out.loss).toBeCloseTo(out.queryLoss + 0.7 * out.klLoss, 12);
    // Finite differences of the total loss in one query logit and in one gold position's logits.
    const lossWith = (edit: (b: typeof batch) => void) => {
      const copy = JSON.parse(JSON.stringify(batch)) as typeof batch;
      edit(copy);
      return calibrationTuningLoss(copy, 0.7).loss;
    };
    const h = 1e-6;
    const numericYes = (lossWith((b) => (b[1].query.zYes += h)) - lossWith((b) => (b[1].query.zYes -= h))) / (2 * h);
    expect(out.queryGrads[1][1]).toBeCloseTo(numericYes, 7);
    for (let i = 0; i < vocab; i++) {
      const numeric = (lossWith((b) => ((b[0].gold.logits[1] as number[])[i] += h)) - lossWith((b) => ((b[0].gold.logits[1] as number[])[i] -= h))) / (2 * h);
      expect(out.goldGrads[0][1][i]).toBeCloseTo(numeric, 7);
    }
    expect(() => calibrationTuningLoss([])).toThrow(RangeError);
  });
});
