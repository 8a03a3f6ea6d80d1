import { Rng } from '@assay/stats';
import { argmax, expNonPositive, logSoftmax, logSumExp, logSumExpArgmax } from './log-softmax';
import { candidateSet, sampleToken, UniformSource } from './sampler';

const noDraws: UniformSource = {
  nextDouble: () => {
    throw new Error('greedy must not draw');
  },
};

function randomLogits(seed: number, vocab: number, scale = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: vocab }, () => rng.normal() * scale);
}

describe('logSoftmax', () => {
  it('stays finite and normalised for huge logits', () => {
    const lp = logSoftmax([1e4, 1e4 + 1, -1e4]);
    expect(lp.every(Number.isFinite)).toBe(true);
    expect(Math.exp(lp[0]) + Math.exp(lp[1]) + Math.exp(lp[2])).toBeCloseTo(1, 10);
    expect(lp[1] - lp[0]).toBeCloseTo(1, 12);
  });

  it('matches a direct float64 computation on a row inside a larger buffer', () => {
    const logits = randomLogits(1, 300);
    const lp = logSoftmax(logits, 100, 100);
    let z = 0;
    for (let i = 100; i < 200; i++) z += Math.exp(logits[i]);
    expect(lp[7]).toBeCloseTo(logits[107] - Math.log(z), 12);
    expect(logSumExp(logits, 100, 100)).toBeCloseTo(Math.log(z), 12);
  });

  it('argmax breaks ties towards the lower index', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([0, 5, 1, 5], 2, 2)).toBe(1);
  });
});

describe('expNonPositive', () => {
  it('is exp within 1e-15 relative over [-700, 0], exact at 0 and the powers of two it tabulates', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-Math.LN2)).toBeCloseTo(0.5, 15);
    expect(expNonPositive(-1)).toBeCloseTo(0.36787944117144233, 15);
    const rng = new Rng(3);
    for (let i = 0; i < 20_000; i++) {
      const x = -700 * rng.nextDouble() ** 3;
      expect(Math.abs(expNonPositive(x) / Math.exp(x) - 1)).toBeLessThan(1e-15);
    }
  });

  it('is 0 below -700 and for -Infinity, NaN for NaN', () => {
    expect(expNonPositive(-701)).toBe(0);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
  });
});

describe('logSumExpArgmax', () => {
  it('equals logSumExp and argmax on rows of a larger buffer, ties going to the lowest index', () => {
    const logits = randomLogits(7, 5 * 64);
    for (let row = 0; row < 5; row++) {
      const both = logSumExpArgmax(logits, row * 64, 64);
      expect(both.logSumExp).toBe(logSumExp(logits, row * 64, 64));
      expect(both.argmax).toBe(argmax(logits, row * 64, 64));
    }
    expect(logSumExpArgmax([1, 3, 3, 0]).argmax).toBe(1);
    expect(logSumExpArgmax([-Infinity, -Infinity])).toEqual({ logSumExp: -Infinity, argmax: 0 });
  });
});

describe('sampleToken', () => {
  const logits = randomLogits(2, 50);
  const modelLp = logSoftmax(logits);

  it('greedy takes the argmax without drawing, sampling log-prob 0', () => {
    const t = sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, noDraws);
    expect(t.id).toBe(argmax(logits));
    expect(t.logprob).toBeCloseTo(modelLp[t.id], 12);
    expect(t.samplingLogprob).toBe(0);
  });

  it('top-k = 1 and a tiny top-p both reduce to greedy', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const row = randomLogits(100 + i, 40);
      const greedy = argmax(row);
      expect(sampleToken(row, { temperature: 1.3, topK: 1, topP: 1 }, rng).id).toBe(greedy);
      const p = sampleToken(row, { temperature: 0.7, topK: 0, topP: 1e-9 }, rng);
      expect(p.id).toBe(greedy);
      expect(p.samplingLogprob).toBeCloseTo(0, 12);
    }
  });

  it('reports the log-probability of the renormalised top-k distribution at the given temperature', () => {
    const T = 0.8;
    const tempered = logSoftmax(Float64Array.from(modelLp, (v) => v / T));
    const top3 = [...candidateSet(tempered, { topK: 3, topP: 1 })];
    const mass = top3.reduce((s, i) => s + Math.exp(tempered[i]), 0);
    const t = sampleToken(logits, { temperature: T, topK: 3, topP: 1 }, new Rng(4));
    expect(top3).toContain(t.id);
    expect(t.samplingLogprob).toBeCloseTo(tempered[t.id] - Math.log(mass), 12);
    expect(t.logprob).toBeCloseTo(modelLp[t.id], 12);
  });

  it('top-p keeps the smallest prefix reaching p', () => {
    const lp = logSoftmax([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    expect([...candidateSet(lp, { topK: 0, topP: 0.5 })]).toEqual([0]);
    expect([...candidateSet(lp, { topK: 0, topP: 0.79 })]).toEqual([0, 1]);
    expect([...candidateSet(lp, { topK: 0, topP: 0.81 })]).toEqual([0, 1, 2]);
    expect([...candidateSet(lp, { topK: 2, topP: 0.9 })]).toEqual([0, 1]);
  });

  it('draws from softmax(logits / T): empirical frequencies match within sampling error', () => {
    const row = Float32Array.from([2, 1, 0.5, -1, 0]);
    const T = 1.5;
    const expected = logSoftmax(Float64Array.from(row, (v) => v / T)).map(Math.exp);
    const counts = new Array(row.length).fill(0);
    const rng = new Rng(5);
    const draws = 20000;
    for (let i = 0; i < draws; i++) counts[sampleToken(row, { temperature: T, topK: 0, topP: 1 }, rng).id]++;
    counts.forEach((c, i) => expect(Math.abs(c / draws - expected[i])).toBeLessThan(4 * Math.sqrt(expected[i] / draws) + 1e-3));
  });

  it('the same stream gives the same tokens', () => {
    const params = { temperature: 1, topK: 10, topP: 0.9 };
    const a = new Rng('k');
    const b = new Rng('k');
    for (let i = 0; i < 50; i++) expect(sampleToken(logits, params, a).id).toBe(sampleToken(logits, params, b).id);
  });
});
