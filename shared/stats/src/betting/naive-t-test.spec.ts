import { NaiveRepeatedTTest, naiveRepeatedTTest, twoSampleTTest } from './naive-t-test';
import { ScorePair } from './sequential-test';

// Reference values from scipy.stats.ttest_ind (scipy 1.17).
describe('two-sample t-test', () => {
  it('matches scipy for pooled (Student) and Welch variances', () => {
    const pooled = twoSampleTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(pooled.t).toBeCloseTo(-1.8973665961010275, 12);
    expect(pooled.df).toBe(8);
    expect(pooled.pValue).toBeCloseTo(0.09434977284243762, 12);
    const welch = twoSampleTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10], 'welch');
    expect(welch.df).toBeCloseTo(5.882352941176471, 12);
    expect(welch.pValue).toBeCloseTo(0.10753119493062728, 11);
    const a = [0.12, 0.35, 0.2, 0.41, 0.05, 0.3];
    const b = [0.5, 0.22, 0.61, 0.4, 0.33, 0.7, 0.45];
    expect(twoSampleTTest(a, b).t).toBeCloseTo(-2.592027607826296, 12);
    expect(twoSampleTTest(a, b).pValue).toBeCloseTo(0.02504751557182961, 11);
    expect(twoSampleTTest(a, b, 'welch').pValue).toBeCloseTo(0.023542162296721653, 10);
  });

  it('handles constant samples and refuses tiny ones', () => {
    expect(twoSampleTTest([0.2, 0.2], [0.2, 0.2]).pValue).toBe(1);
    expect(twoSampleTTest([0.2, 0.2], [0.3, 0.3]).pValue).toBe(0);
    expect(() => twoSampleTTest([1], [1, 2])).toThrow(RangeError);
  });
});

describe('naive repeated t-test', () => {
  it('re-tests the cumulative data after every batch and rejects at the first look with p < α', () => {
    const batches: ScorePair[][] = [
      [[0.1, 0.2], [0.3, 0.25]],
      [[0.2, 0.3], [0.15, 0.2], [0.22, 0.28]],
      [[0.1, 0.6], [0.12, 0.7], [0.11, 0.65], [0.13, 0.66]],
    ];
    const result = naiveRepeatedTTest(batches);
    const cumulative = (k: number) => batches.slice(0, k + 1).flat();
    result.looks.forEach((look, k) => {
      const expected = twoSampleTTest(cumulative(k).map((p) => p[0]), cumulative(k).map((p) => p[1])).pValue;
      expect(look.pValue).toBeCloseTo(expected, 12);
    });
    expect(result.rejected).toBe(true);
    expect(result.firstRejection).toBe(result.looks.findIndex((l) => l.pValue! < 0.05));
    expect(result.samplesToReject).toBe(cumulative(result.firstRejection!).length);
  });

  it('stays rejected and ignores later batches', () => {
    const sut = new NaiveRepeatedTTest({ alpha: 0.5 });
    sut.observeBatch([[0, 1], [0.1, 0.9], [0.05, 0.95]]);
    expect(sut.rejected).toBe(true);
    const look = sut.observeBatch([[0.5, 0.5], [0.5, 0.5]]);
    expect(look).toMatchObject({ rejected: true, rejectedNow: false });
    expect(sut.samplesUsed).toBe(3);
  });

  it('waits for two values per sample before testing', () => {
    const sut = new NaiveRepeatedTTest();
    expect(sut.observeBatch([[0.1, 0.2]])).toMatchObject({ pValue: null, rejected: false });
  });
});
