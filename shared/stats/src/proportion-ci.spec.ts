import { wilsonInterval } from './proportion-ci';

describe('wilsonInterval', () => {
  it('equals the hand computation', () => {
    // 8/10, z = 1.959964: centre (0.8 + 0.19207)/(1.38415) = 0.716740, half 0.226577 → [0.4901625, 0.9433178]
    // (statsmodels proportion_confint(8, 10, method='wilson') gives the same).
    const ci = wilsonInterval(8, 10);
    expect(ci.low).toBeCloseTo(0.4901624715366418, 10);
    expect(ci.high).toBeCloseTo(0.9433178485456248, 10);
    // 0/5 is not degenerate: [0, z²/(n + z²)] = [0, 3.8415/8.8415].
    const none = wilsonInterval(0, 5);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(3.841458820694124 / 8.841458820694124, 10);
    expect(wilsonInterval(5, 5).high).toBe(1);
  });

  it('widens with the level and validates its input', () => {
    expect(wilsonInterval(30, 100, 0.99).low).toBeLessThan(wilsonInterval(30, 100, 0.9).low);
    expect(wilsonInterval(0, 0)).toMatchObject({ low: 0, high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });
});
