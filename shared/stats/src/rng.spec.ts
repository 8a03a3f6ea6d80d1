import { createRng, Rng } from './rng';
import { mean, variance } from './descriptive';

describe('Rng', () => {
  it('matches the xoshiro128** reference output for state {1, 2, 3, 4}', () => {
    // First outputs of the reference C implementation (prng.di.unimi.it/xoshiro128starstar.c) from s = {1,2,3,4}.
    const sut = Rng.fromState({ s: [1, 2, 3, 4], spareNormal: null });
    expect(Array.from({ length: 6 }, () => sut.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is deterministic per seed and differs across seeds (numbers and strings)', () => {
    const draw = (seed: number | string) => Array.from({ length: 5 }, ((r) => () => r.next())(createRng(seed)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw('audit:1')).toEqual(draw('audit:1'));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw('audit:1')).not.toEqual(draw('audit:2'));
    expect(draw(2 ** 40)).not.toEqual(draw(0)); // high bits of large seeds are not dropped
  });

  it('restores from a JSON state exactly, spare normal included', () => {
    const sut = new Rng(7);
    sut.normal(); // leaves a spare normal cached
    const state = JSON.parse(JSON.stringify(sut.getState()));
    expect(state.spareNormal).not.toBeNull();
    const copy = Rng.fromState(state);
    const seq = (r: Rng) => [r.normal(), r.next(), r.int(10), r.beta(2, 3), r.gamma(0.5), r.normal()];
    expect(seq(copy)).toEqual(seq(sut));
    expect(seq(sut.clone())).toEqual(seq(sut));
  });

  it('rejects invalid states and arguments', () => {
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(RangeError);
    expect(() => Rng.fromState({ s: [1, 2, 3, 2 ** 32], spareNormal: null })).toThrow(RangeError);
    const sut = new Rng(1);
    expect(() => sut.int(0)).toThrow(RangeError);
    expect(() => sut.intRange(3, 2)).toThrow(RangeError);
    expect(() => sut.bernoulli(1.5)).toThrow(RangeError);
    expect(() => sut.gamma(0)).toThrow(RangeError);
    expect(() => sut.categorical([0, 0])).toThrow(RangeError);
    expect(() => new Rng(NaN)).toThrow(RangeError);
  });

  it('draws uniforms in [0, 1) with the right moments', () => {
    const sut = new Rng(1);
    const xs = Array.from({ length: 100_000 }, () => sut.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    expect(variance(xs)).toBeCloseTo(1 / 12, 2);
    const ds = Array.from({ length: 20_000 }, () => sut.nextDouble());
    expect(mean(ds)).toBeCloseTo(0.5, 1);
  });

  it('draws unbiased integers over the whole range', () => {
    const sut = new Rng(2);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[sut.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // > 5 sd
    const r = Array.from({ length: 1000 }, () => sut.intRange(-2, 2));
    expect(new Set(r)).toEqual(new Set([-2, -1, 0, 1, 2]));
  });

  it('samples normal, gamma, beta and bernoulli with the right moments', () => {
    const sut = new Rng(3);
    const n = 60_000;
    const z = Array.from({ length: n }, () => sut.normal(1, 2));
    expect(mean(z)).toBeCloseTo(1, 1);
    expect(Math.sqrt(variance(z))).toBeCloseTo(2, 1);
    for (const shape of [0.3, 1, 4.5]) {
      const g = Array.from({ length: n }, () => sut.gamma(shape));
      expect(Math.abs(mean(g) - shape)).toBeLessThan(0.03 * Math.max(1, shape));
      expect(Math.abs(variance(g) - shape)).toBeLessThan(0.08 * Math.max(1, shape));
    }
    const b = Array.from({ length: n }, () => sut.beta(2, 8));
    expect(mean(b)).toBeCloseTo(0.2, 2);
    expect(variance(b)).toBeCloseTo((2 * 8) / (100 * 11), 3);
    const hits = Array.from({ length: n }, () => sut.bernoulli(0.1)).filter(Boolean).length;
    expect(hits / n).toBeCloseTo(0.1, 2);
  });

  it('samples categorical indices in proportion to the weights and never a zero weight', () => {
    const sut = new Rng(4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[sut.categorical([1, 0, 3, 0])]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(counts[2] / 40_000).toBeCloseTo(0.75, 2);
  });

  it('shuffles in place into a permutation, deterministically', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = [...a];
    new Rng(5).shuffle(a);
    new Rng(5).shuffle(b);
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
