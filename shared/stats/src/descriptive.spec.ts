import { logSumExp, mean, median, quantile, standardDeviation, variance } from './descriptive';
import { meanConfidenceInterval } from './mean-ci';

describe('descriptive statistics', () => {
  it('mean, variance and standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(variance([1, 2, 3, 4])).toBeCloseTo(5 / 3, 14);
    expect(variance([1, 2, 3, 4], 0)).toBeCloseTo(1.25, 14);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9], 0)).toBe(2);
    expect(() => mean([])).toThrow(RangeError);
    expect(() => variance([1])).toThrow(RangeError);
  });

  it('quantile uses type 7 (numpy default) interpolation', () => {
    // np.quantile([1,2,3,4], 0.9) = 3.7; np.quantile([3,1,2], 0.25) = 1.5; np.quantile([0.5,-1,2,7,3], 0.1) = -0.4
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 14);
    expect(quantile([3, 1, 2], 0.25)).toBe(1.5);
    expect(quantile([0.5, -1, 2, 7, 3], 0.1)).toBeCloseTo(-0.4, 14);
    expect(quantile([5], 0.3)).toBe(5);
    expect(quantile([1, 9], 0)).toBe(1);
    expect(quantile([1, 9], 1)).toBe(9);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('logSumExp does not overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([-Infinity, 0])).toBe(0);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });

  it('mean confidence interval matches scipy.stats.t.interval', () => {
    // scipy: t.interval(0.95, 4, loc=0.5, scale=sem([0.3,0.1,0.9,0.5,0.7])) = (0.10735136770448861, 0.8926486322955114)
    const sut = meanConfidenceInterval([0.3, 0.1, 0.9, 0.5, 0.7]);
    expect(sut.mean).toBeCloseTo(0.5, 14);
    expect(sut.low).toBeCloseTo(0.10735136770448861, 9);
    expect(sut.high).toBeCloseTo(0.8926486322955114, 9);
    const constant = meanConfidenceInterval([0.25, 0.25, 0.25]);
    expect([constant.low, constant.high, constant.se]).toEqual([0.25, 0.25, 0]);
    expect(meanConfidenceInterval([0.4])).toMatchObject({ mean: 0.4, low: -Infinity, high: Infinity });
    expect(() => meanConfidenceInterval([0.1, NaN])).toThrow(RangeError);
    expect(() => meanConfidenceInterval([])).toThrow(RangeError);
  });
});
