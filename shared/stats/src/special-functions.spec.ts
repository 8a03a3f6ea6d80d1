import {
  logGamma, normalCdf, normalQuantile, regularizedIncompleteBeta, regularizedLowerGamma, studentTCdf, studentTQuantile, studentTTwoSidedP,
} from './special-functions';

// Reference values computed with scipy 1.17 (scipy.special.betainc/gammaln, scipy.stats.t/norm).
describe('special functions', () => {
  it('log-gamma matches known values', () => {
    expect(logGamma(3)).toBeCloseTo(Math.log(2), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
    expect(logGamma(100.5)).toBeCloseTo(361.43554046777757, 10);
    expect(() => logGamma(0)).toThrow(RangeError);
  });

  it('regularized incomplete beta matches closed forms and scipy', () => {
    expect(regularizedIncompleteBeta(0.5, 3, 3)).toBeCloseTo(0.5, 13);
    expect(regularizedIncompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 13); // I_x(a,1) = x^a
    expect(regularizedIncompleteBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.018927124071945658, 12);
    expect(regularizedIncompleteBeta(0.9, 10, 3)).toBeCloseTo(0.889130022255, 11);
    expect(regularizedIncompleteBeta(0.1, 0.5, 0.5)).toBeCloseTo(0.20483276469913345, 12);
    expect(regularizedIncompleteBeta(0.99999616, 500000, 0.5)).toBeCloseTo(0.05004335850007137, 7); // large a converges
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expect(() => regularizedIncompleteBeta(1.2, 2, 3)).toThrow(RangeError);
  });

  it('Student-t two-sided p-values match known values', () => {
    expect(studentTTwoSidedP(2.0, 10)).toBeCloseTo(0.0734, 4);
    expect(studentTTwoSidedP(2.0, 10)).toBeCloseTo(0.07338803477074037, 12);
    expect(studentTTwoSidedP(1.96, 1e6)).toBeCloseTo(0.05, 4);
    expect(studentTTwoSidedP(1.96, 1e6)).toBeCloseTo(0.04999606758526985, 9);
    expect(studentTTwoSidedP(1, 1)).toBeCloseTo(0.5, 13); // Cauchy
    expect(studentTTwoSidedP(-2.0, 10)).toBe(studentTTwoSidedP(2.0, 10));
    expect(studentTTwoSidedP(0, 7)).toBe(1);
    expect(studentTTwoSidedP(Infinity, 7)).toBe(0);
    expect(studentTTwoSidedP(1.96, Infinity)).toBeCloseTo(0.04999579029644087, 10);
  });

  it('Student-t CDF and quantile invert each other', () => {
    expect(studentTCdf(2.0, 10)).toBeCloseTo(0.9633059826146299, 12);
    expect(studentTCdf(-1.5, 3.7)).toBeCloseTo(0.10679908460100675, 11);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTQuantile(0.995, 4.5)).toBeCloseTo(4.272823993011293, 8);
    expect(studentTQuantile(0.5, 3)).toBeCloseTo(0, 10);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  });

  it('normal CDF and quantile match known values', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 13);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 14);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 9);
    expect(regularizedLowerGamma(1, 2)).toBeCloseTo(1 - Math.exp(-2), 13); // P(1, x) = 1 − e^−x
    expect(regularizedLowerGamma(3, 10)).toBeCloseTo(1 - Math.exp(-10) * (1 + 10 + 50), 13);
  });
});
