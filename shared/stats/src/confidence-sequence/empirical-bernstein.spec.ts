import { meanConfidenceInterval } from '../mean-ci';
import { studentTQuantile } from '../special-functions';
import { Rng } from '../rng';
import { EmpiricalBernsteinConfidenceSequence, meanConfidenceSequence } from './empirical-bernstein';

const L = Math.log(40); // log(2/α) at α = 0.05 = 3.6888794541139363

describe('EmpiricalBernsteinConfidenceSequence: hand values', () => {
  it('X = [1, 0] at α = 0.05', () => {
    // t = 1: μ̂₀ = ½, σ̂²₀ = ¼; λ₁ = min(√(2L/(¼·1·ln 2)), ½) = min(6.52…, ½) = ½.
    //   v₁ = 4(1 − ½)² = 1; ψ_E(½) = (ln 2 − ½)/4 = 0.04828679…
    //   centre = 1, margin = (L + ψ_E(½))/½.
    // μ̂₁ = (½ + 1)/2 = ¾, Σ(X − μ̂)² = (1 − ¾)² = 1/16.
    // t = 2: σ̂²₁ = (¼ + 1/16)/2 = 5/32; λ₂ = min(√(2L/(5/32·2·ln 3)), ½) = ½.
    //   v₂ = 4(0 − ¾)² = 9/4; centre = (½·1 + ½·0)/1 = ½, margin = (L + (1 + 9/4)·ψ_E(½))/1.
    const psi = (Math.LN2 - 0.5) / 4;
    const sut = new EmpiricalBernsteinConfidenceSequence({ alpha: 0.05 });
    sut.observe(1);
    let ci = sut.interval();
    expect(ci.center).toBe(1);
    expect(ci.margin).toBeCloseTo((L + psi) / 0.5, 12);
    expect([ci.low, ci.high]).toEqual([0, 1]);
    sut.observe(0);
    ci = sut.interval();
    expect(ci.center).toBeCloseTo(0.5, 15);
    expect(ci.margin).toBeCloseTo(L + 3.25 * psi, 12);
    expect(ci).toMatchObject({ n: 2, mean: 0.5, level: 0.95 });
  });

  it('a constant stream: every λ is the truncation ½ and no variance is charged, so the margin is 2·log(2/α)/t', () => {
    // X ≡ ½: μ̂ = ½ always, Σ(X − μ̂)² = 0, σ̂²_{t−1} = ¼/t, λ_t = min(√(8L/log(1 + t)), ½) = ½, v = 0.
    // After t = 100: margin = L/(½·100) = 0.0737776, interval ½ ± that.
    const ci = meanConfidenceSequence(new Array(100).fill(0.5));
    expect(ci.margin).toBeCloseTo((2 * L) / 100, 12);
    expect(ci.low).toBeCloseTo(0.5 - (2 * L) / 100, 12);
    expect(ci.high).toBeCloseTo(0.5 + (2 * L) / 100, 12);
  });

  it('rescales another bounded range and round-trips its state', () => {
    // Scores in [0, 100]: the same interval as the scores / 100, scaled back.
    const rng = new Rng('range');
    const xs = Array.from({ length: 200 }, () => rng.beta(2, 5));
    const unit = meanConfidenceSequence(xs);
    const scaled = meanConfidenceSequence(xs.map((x) => 100 * x), { range: [0, 100] });
    expect(scaled.low).toBeCloseTo(100 * unit.low, 9);
    expect(scaled.high).toBeCloseTo(100 * unit.high, 9);
    expect(scaled.mean).toBeCloseTo(100 * unit.mean, 9);
    const a = new EmpiricalBernsteinConfidenceSequence().observeMany(xs.slice(0, 120));
    const b = EmpiricalBernsteinConfidenceSequence.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    a.observeMany(xs.slice(120));
    b.observeMany(xs.slice(120));
    expect(b.interval()).toEqual(a.interval());
    expect(a.interval()).toEqual(unit);
  });

  it('validates its input', () => {
    expect(() => new EmpiricalBernsteinConfidenceSequence().observe(1.2)).toThrow(RangeError);
    expect(() => new EmpiricalBernsteinConfidenceSequence().observe(NaN)).toThrow(RangeError);
    expect(() => new EmpiricalBernsteinConfidenceSequence({ alpha: 0 })).toThrow(RangeError);
    expect(() => new EmpiricalBernsteinConfidenceSequence({ range: [1, 1] })).toThrow(RangeError);
    expect(new EmpiricalBernsteinConfidenceSequence().interval()).toMatchObject({ n: 0, low: 0, high: 1 });
  });
});

describe('time-uniform coverage by simulation', () => {
  const RUNS = 400;
  const T = 500;
  const ALPHA = 0.05;
  const streams: Array<[string, number, (rng: Rng) => number]> = [
    ['bernoulli(0.3)', 0.3, (rng) => (rng.next() < 0.3 ? 1 : 0)],
    ['beta(2,8)', 0.2, (rng) => rng.beta(2, 8)],
    ['beta(0.5,6) (toxicity-like)', 0.5 / 6.5, (rng) => rng.beta(0.5, 6)],
  ];

  // t-quantiles of the descriptive interval at the looks t = 10, 20, …, 500 (computed once: they are slow).
  const tHalfFactor = new Map<number, number>();
  for (let t = 10; t <= T; t += 10) tHalfFactor.set(t, studentTQuantile(1 - ALPHA / 2, t - 1) / Math.sqrt(t));

  it.each(streams)('%s: the mean falls outside C_t at some t ≤ 500 in at most α of the runs', (_name, mu, draw) => {
    let everMissed = 0;
    let tIntervalEverMissed = 0;
    for (let r = 0; r < RUNS; r++) {
      const rng = new Rng(`cs:${_name}:${r}`);
      const cs = new EmpiricalBernsteinConfidenceSequence({ alpha: ALPHA, runningIntersection: false });
      let sum = 0;
      let sumSq = 0;
      let missed = false;
      let tMissed = false;
      for (let t = 1; t <= T; t++) {
        const x = draw(rng);
        sum += x;
        sumSq += x * x;
        cs.observe(x);
        const ci = cs.interval();
        if (mu < ci.low || mu > ci.high) missed = true;
        // The descriptive t-interval (meanConfidenceInterval), checked after every 10 scores (peeking), for contrast.
        if (t % 10 === 0 && !tMissed) {
          const mean = sum / t;
          const sd = Math.sqrt(Math.max(0, (sumSq - t * mean * mean) / (t - 1)));
          if (Math.abs(mean - mu) > tHalfFactor.get(t)! * sd) tMissed = true;
        }
      }
      if (missed) everMissed++;
      if (tMissed) tIntervalEverMissed++;
    }
    // 400 runs: a true miss rate of α would exceed 0.05 + 3·√(0.05·0.95/400) = 0.083 with probability < 0.2 %.
    expect(everMissed / RUNS).toBeLessThanOrEqual(ALPHA);
    // Watching the fixed-n interval over time misses well above α: why the report needs the sequence.
    expect(tIntervalEverMissed / RUNS).toBeGreaterThan(2 * ALPHA);
  });

  it('shrinks with the data: after 2000 draws of beta(2,8) the width is below 0.05, wider than the fixed-n interval', () => {
    const rng = new Rng('width');
    const xs = Array.from({ length: 2000 }, () => rng.beta(2, 8));
    const ci = meanConfidenceSequence(xs);
    const fixed = meanConfidenceInterval(xs);
    expect(ci.high - ci.low).toBeGreaterThan(fixed.high - fixed.low);
    expect(ci.high - ci.low).toBeLessThan(0.05);
    expect(ci.low).toBeLessThan(0.2);
    expect(ci.high).toBeGreaterThan(0.2);
  });
});
