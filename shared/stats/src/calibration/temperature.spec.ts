import { Rng } from '../rng';
import { fitTemperature, softmaxWithTemperature, temperatureNll } from './temperature';

/** n examples whose true log-odds are N(0, spread²) and whose reported logits are those scaled by T0 (T0 > 1: overconfident). */
function synthetic(rng: Rng, n: number, classes: number, trueTemperature: number): { logits: number[][]; labels: number[] } {
  const logits: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: classes }, () => rng.normal(0, 1.5));
    const p = softmaxWithTemperature(z);
    labels.push(rng.categorical(p));
    logits.push(z.map((v) => v * trueTemperature));
  }
  return { logits, labels };
}

describe('temperatureNll', () => {
  it('equals the hand computation', () => {
    // z = [0, ln 3], label 1: T = 1 → p = 3/4, NLL = ln(4/3); T = 2 → p = √3/(1 + √3), NLL = ln((1 + √3)/√3).
    expect(temperatureNll([[0, Math.log(3)]], [1], 1)).toBeCloseTo(Math.log(4 / 3), 12);
    expect(temperatureNll([[0, Math.log(3)]], [1], 2)).toBeCloseTo(Math.log((1 + Math.sqrt(3)) / Math.sqrt(3)), 12);
    // Two rows, label 0 on the second: mean of ln(4/3) and ln 4.
    expect(temperatureNll([[0, Math.log(3)], [0, Math.log(3)]], [1, 0], 1)).toBeCloseTo((Math.log(4 / 3) + Math.log(4)) / 2, 12);
  });

  it('rejects bad input', () => {
    expect(() => temperatureNll([[0, 1]], [2], 1)).toThrow(RangeError);
    expect(() => temperatureNll([[0, NaN]], [0], 1)).toThrow(RangeError);
    expect(() => temperatureNll([[0, 1]], [0], 0)).toThrow(RangeError);
    expect(() => temperatureNll([[0, 1], [0]], [0, 0], 1)).toThrow(RangeError);
    expect(() => temperatureNll([], [], 1)).toThrow(RangeError);
  });
});

describe('fitTemperature', () => {
  it('recovers a known temperature on synthetic 2-way and 4-way logits', () => {
    const rng = new Rng('ts');
    for (const [classes, t0] of [[2, 2.5], [2, 0.5], [4, 1.8]] as const) {
      const { logits, labels } = synthetic(rng, 20000, classes, t0);
      const fit = fitTemperature(logits, labels);
      expect(Math.abs(fit.temperature - t0) / t0).toBeLessThan(0.05);
      expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
      expect(fit.nllAfter).toBeCloseTo(temperatureNll(logits, labels, fit.temperature), 12);
    }
  });

  it('lowers held-out NLL when fitted on a validation split of miscalibrated logits', () => {
    const rng = new Rng('held-out');
    const val = synthetic(rng, 3000, 2, 3);
    const test = synthetic(rng, 3000, 2, 3);
    const { temperature } = fitTemperature(val.logits, val.labels);
    expect(temperatureNll(test.logits, test.labels, temperature)).toBeLessThan(temperatureNll(test.logits, test.labels, 1));
  });

  it('never raises the NLL it was fitted on relative to T = 1 (calibrated, tiny, separable and constant data)', () => {
    const rng = new Rng('never-worse');
    const cases = [
      synthetic(rng, 500, 2, 1),
      synthetic(rng, 3, 2, 1),
      { logits: [[0, 5], [5, 0], [0, 3]], labels: [1, 0, 1] }, // separable: wants T → 0, stops at the bound
      { logits: [[1, 1], [1, 1]], labels: [0, 1] }, // every T gives the same NLL: keeps T = 1
    ];
    for (const { logits, labels } of cases) {
      const fit = fitTemperature(logits, labels);
      expect(fit.nllAfter).toBeLessThanOrEqual(fit.nllBefore);
      expect(fit.nllBefore).toBeCloseTo(temperatureNll(logits, labels, 1), 12);
    }
    const separable = fitTemperature([[0, 5], [5, 0], [0, 3]], [1, 0, 1], { minTemperature: 0.1 });
    expect(separable.temperature).toBeCloseTo(0.1, 6);
    expect(fitTemperature([[1, 1], [1, 1]], [0, 1]).temperature).toBe(1);
    expect(() => fitTemperature([[0, 1]], [1], { minTemperature: 2, maxTemperature: 1 })).toThrow(RangeError);
  });
});

describe('softmaxWithTemperature', () => {
  it('divides the logits by T before the softmax, without overflow', () => {
    const p = softmaxWithTemperature([0, Math.log(3)], 1);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(softmaxWithTemperature([1000, 0], 10)[0]).toBeCloseTo(1, 12);
  });
});
