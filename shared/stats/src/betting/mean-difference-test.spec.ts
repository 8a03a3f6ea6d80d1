import { Rng } from '../rng';
import { createSequentialTest, sequentialTestFromJSON } from './create-test';
import { MeanDifferenceBettingTest } from './mean-difference-test';
import { ScorePair } from './sequential-test';

const C = 2 / (2 - Math.log(3));

describe('MeanDifferenceBettingTest', () => {
  it('bets with online Newton steps clipped to [0, 1/(2(1+ε))] (hand-computed)', () => {
    const sut = new MeanDifferenceBettingTest({ alternative: 'greater' });
    // Pair 1: λ = 0, factor 1; z = 0.5, A = 1.25, λ ← min(0.5, C·0.5/1.25) = 0.5.
    sut.observeBatch([[0.9, 0.4]]);
    expect(sut.logWealth).toBe(0);
    // Pair 2: x = 0.3, factor 1.15; z = 0.3/1.15, A = 1.25 + z², λ ← clip(0.5 + C·z/A) = 0.5.
    sut.observeBatch([[0.5, 0.2]]);
    expect(sut.logWealth).toBeCloseTo(Math.log(1.15), 14);
    // Pair 3: x = −0.6, factor 0.7; then λ moves down.
    sut.observeBatch([[0.1, 0.7]]);
    expect(sut.logWealth).toBeCloseTo(Math.log(1.15 * 0.7), 14);
    const state = sut.toJSON();
    const z2 = 0.3 / 1.15;
    const z3 = -0.6 / 0.7;
    const a = 1.25 + z2 * z2 + z3 * z3;
    expect(state.bettors[0].a).toBeCloseTo(a, 12);
    expect(state.bettors[0].lambda).toBeCloseTo(Math.max(0, 0.5 + (C * z3) / a), 12);
  });

  it('combines the two one-sided wealths as log(½(K⁺ + K⁻))', () => {
    const rng = new Rng('two-sided');
    const pairs: ScorePair[] = Array.from({ length: 40 }, () => [rng.next(), rng.next()] as const);
    const plus = new MeanDifferenceBettingTest({ alternative: 'greater' });
    const minus = new MeanDifferenceBettingTest({ alternative: 'less' });
    const both = new MeanDifferenceBettingTest();
    for (const t of [plus, minus, both]) t.observeBatch(pairs);
    expect(both.logWealth).toBeCloseTo(Math.log((Math.exp(plus.logWealth) + Math.exp(minus.logWealth)) / 2), 12);
  });

  it('detects a mean shift only in the direction it bets on', () => {
    const rng = new Rng('direction');
    const greater = new MeanDifferenceBettingTest({ alternative: 'greater' });
    const less = new MeanDifferenceBettingTest({ alternative: 'less' });
    const two = new MeanDifferenceBettingTest();
    for (let k = 0; k < 10; k++) {
      const pairs: ScorePair[] = Array.from({ length: 50 }, () => [rng.beta(2, 8), rng.beta(4, 6)] as const);
      for (const t of [greater, less, two]) t.observeBatch(pairs);
    }
    expect(less.rejected).toBe(true);
    expect(two.rejected).toBe(true);
    expect(greater.rejected).toBe(false);
    expect(greater.logWealth).toBeLessThan(0.5);
  });

  it('charges ε: a shift smaller than ε makes the wealth shrink', () => {
    const rng = new Rng('eps');
    const sut = new MeanDifferenceBettingTest({ epsilon: 0.1 });
    for (let k = 0; k < 20; k++) sut.observeBatch(Array.from({ length: 50 }, () => [rng.beta(2, 8), rng.beta(2.5, 8)] as const)); // Δmean ≈ 0.038
    expect(sut.rejected).toBe(false);
    expect(sut.logWealth).toBeLessThan(0);
  });

  it('reports rejection at batch granularity, stays rejected and resumes from JSON exactly', () => {
    const rng = new Rng('md-resume');
    const batches = Array.from({ length: 6 }, () => Array.from({ length: 30 }, () => [rng.beta(2, 8), rng.beta(3, 7)] as const));
    const reference = createSequentialTest('mean-difference');
    const expected = batches.map((b) => reference.observeBatch(b));
    let sut = createSequentialTest('mean-difference');
    const steps = batches.slice(0, 2).map((b) => sut.observeBatch(b));
    sut = sequentialTestFromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
    steps.push(...batches.slice(2).map((b) => sut.observeBatch(b)));
    expect(steps).toEqual(expected);
    const rejecting = expected.find((s) => s.rejectedNow);
    expect(rejecting).toBeDefined(); // Δmean = 0.1: this seed rejects within the six batches
    expect(rejecting!.batchIndex).toBeLessThan(5);
    expect(rejecting!.samplesUsed).toBe(30 * (rejecting!.batchIndex + 1));
    expect(reference.samplesToReject).toBe(rejecting!.samplesUsed);
    expect(expected.filter((s) => s.ignored).length).toBe(expected.length - 1 - rejecting!.batchIndex);
  });

  it('refuses scores outside the declared range and bad options', () => {
    const sut = new MeanDifferenceBettingTest();
    expect(() => sut.observeBatch([[1.2, 0.5]])).toThrow(RangeError);
    expect(new MeanDifferenceBettingTest({ scoreRange: [0, 10] }).observeBatch([[7, 2]]).pairsUsed).toBe(1);
    expect(sut.observeBatch([[NaN, 0.5]])).toMatchObject({ ignored: true, droppedPairs: 1 });
    expect(() => new MeanDifferenceBettingTest({ scoreRange: [1, 1] })).toThrow(RangeError);
    expect(() => new MeanDifferenceBettingTest({ alpha: 1 })).toThrow(RangeError);
  });
});
