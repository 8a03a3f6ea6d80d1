import { Rng } from '../rng';
import { dphLoss } from './losses';
import { argmax, argmaxAccuracy, pairwiseAccuracy } from './metrics';
import { RewardHead } from './reward-head';
import { headLoss, trainRewardHead } from './train-head';

function vectors(rng: Rng, n: number, d: number, shift: number[] | null = null): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, (_, j) => rng.normal(0, 1) + (shift ? shift[j] : 0)));
}

describe('RewardHead', () => {
  it('computes r = w·x (identity) and r = w·tanh(Wx + b) (dense-tanh) as by hand', () => {
    const identity = new RewardHead(2, 'identity');
    identity.params.set([0.5, -2]);
    expect(identity.reward([3, 1])).toBeCloseTo(0.5 * 3 - 2 * 1, 12);
    // dense-tanh, d = 2: W = [[1, 0], [0.5, -1]], b = [0, 0.25], w = [2, -1], x = [0.4, 0.2]:
    // pooled = tanh([0.4, 0.2 − 0.2 + 0.25]) = tanh([0.4, 0.25]); r = 2·tanh 0.4 − tanh 0.25.
    const dense = new RewardHead(2, 'dense-tanh');
    dense.params.set([1, 0, 0.5, -1, 0, 0.25, 2, -1]);
    expect(dense.reward([0.4, 0.2])).toBeCloseTo(2 * Math.tanh(0.4) - Math.tanh(0.25), 12);
    expect(() => dense.reward([1])).toThrow(RangeError);
    expect(() => new RewardHead(2, 'swiglu' as never)).toThrow(RangeError);
  });

  it('initialises weights Normal(0, 0.02) with zero biases and no head bias', () => {
    const sut = RewardHead.create(64, 'dense-tanh', new Rng(1));
    expect(sut.params.length).toBe(64 * 64 + 64 + 64);
    const w = Array.from(sut.params.subarray(0, 64 * 64));
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.019);
    expect(sd).toBeLessThan(0.021);
    expect(Array.from(sut.params.subarray(64 * 64, 64 * 64 + 64)).every((b) => b === 0)).toBe(true);
  });

  it('backprop of the DPH loss matches finite differences for every parameter, both poolers and both losses', () => {
    const rng = new Rng('head-grad');
    for (const pooler of ['identity', 'dense-tanh'] as const) {
      for (const kind of ['separable', 'contrastive'] as const) {
        const sut = RewardHead.create(3, pooler, rng, 0.5);
        const pairs = { chosen: vectors(rng, 4, 3), rejected: vectors(rng, 4, 3) };
        const out = dphLoss(kind, sut.rewards(pairs.chosen), sut.rewards(pairs.rejected), 0.1);
        sut.grad.fill(0);
        pairs.chosen.forEach((x, i) => sut.accumulateGradient(x, out.dChosen[i]));
        pairs.rejected.forEach((x, i) => sut.accumulateGradient(x, out.dRejected[i]));
        const analytic = Array.from(sut.grad);
        const h = 1e-6;
        analytic.forEach((g, p) => {
          const saved = sut.params[p];
          sut.params[p] = saved + h;
          const up = headLoss(sut, pairs, kind, 0.1);
          sut.params[p] = saved - h;
          const down = headLoss(sut, pairs, kind, 0.1);
          sut.params[p] = saved;
          expect(g).toBeCloseTo((up - down) / (2 * h), 7);
        });
      }
    }
  });

  it('round-trips through JSON', () => {
    const sut = RewardHead.create(4, 'dense-tanh', new Rng(2));
    const copy = RewardHead.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
    expect(copy.reward([1, 2, 3, 4])).toBe(sut.reward([1, 2, 3, 4]));
    expect(() => RewardHead.fromJSON({ ...sut.toJSON(), dim: 5 })).toThrow(RangeError);
  });
});

describe('trainRewardHead', () => {
  it('learns a preference carried by the features, with validation, early stopping and the best epoch kept', () => {
    const rng = new Rng('head-train');
    const d = 6;
    const direction = Array.from({ length: d }, () => rng.normal(0, 0.6));
    const make = (n: number) => ({ chosen: vectors(rng, n, d, direction), rejected: vectors(rng, n, d) });
    const train = make(400);
    const validation = make(100);
    const test = make(300);
    for (const pooler of ['identity', 'dense-tanh'] as const) {
      const result = trainRewardHead(train, validation, { pooler, maxEpochs: 60, patience: 5, learningRate: 1e-2, seed: 3 });
      const best = Math.min(...result.history.map((h) => h.validationLoss!));
      expect(headLoss(result.head, validation, 'separable', 0.1)).toBeCloseTo(best, 12);
      expect(result.history[result.bestEpoch - 1].validationLoss).toBe(best);
      const acc = pairwiseAccuracy(result.head.rewards(test.chosen), result.head.rewards(test.rejected));
      // Chosen ~ N(v, I), rejected ~ N(0, I), |v| ≈ 1.02: the best rule w ∝ v is right with Φ(|v|/√2) ≈ 0.765.
      expect(acc.estimate).toBeGreaterThan(0.72);
      expect(acc.low).toBeGreaterThan(0.5);
    }
    const a = trainRewardHead(train, null, { loss: 'contrastive', maxEpochs: 3, seed: 9 });
    expect(a.epochs).toBe(3);
    expect(a.bestEpoch).toBe(3);
    expect(trainRewardHead(train, null, { loss: 'contrastive', maxEpochs: 3, seed: 9 }).head.toJSON()).toEqual(a.head.toJSON());
  });

  it('rejects bad input', () => {
    expect(() => trainRewardHead({ chosen: [], rejected: [] }, null)).toThrow(RangeError);
    expect(() => trainRewardHead({ chosen: [[1]], rejected: [] }, null)).toThrow(RangeError);
    expect(() => trainRewardHead({ chosen: [[1, 2]], rejected: [[1]] }, null)).toThrow(RangeError);
    expect(() => trainRewardHead({ chosen: [[1]], rejected: [[Infinity]] }, null)).toThrow(RangeError);
  });
});

describe('pairwise accuracy and argmax', () => {
  it('gives the Wilson 95% interval, a tie counting as wrong', () => {
    // 8 of 10 pairs strictly right (the last two: a tie and a loss). Wilson 95%: [0.4901625, 0.9433178].
    const chosen = [1, 2, 3, 4, 5, 6, 7, 8, 0.5, 0];
    const rejected = [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1];
    const acc = pairwiseAccuracy(chosen, rejected);
    expect(acc).toMatchObject({ successes: 8, n: 10, estimate: 0.8, level: 0.95 });
    expect(acc.low).toBeCloseTo(0.4901624715366418, 9);
    expect(acc.high).toBeCloseTo(0.9433178485456248, 9);
    expect(pairwiseAccuracy([], [])).toMatchObject({ n: 0, low: 0, high: 1 });
  });

  it('picks the first maximum and scores multiple-choice accuracy', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(() => argmax([])).toThrow(RangeError);
    expect(() => argmax([1, NaN])).toThrow(RangeError);
    expect(argmaxAccuracy([[0.1, 0.9], [2, 1], [5, 5, 6]], [1, 1, 2])).toBeCloseTo(2 / 3, 12);
  });
});
