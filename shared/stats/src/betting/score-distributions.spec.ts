import { mean, variance } from '../descriptive';
import { Rng } from '../rng';
import { empiricalSampler, mixtureSampler, parseDistributionSpec, samplerFromSpec } from './score-distributions';

function draws(spec: string, n = 40_000, seed = 1): number[] {
  const sampler = samplerFromSpec(spec);
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => sampler.sample(rng));
}

describe('distribution specs', () => {
  it('parses beta, bernoulli, uniform and clipped normal with the right moments', () => {
    expect(mean(draws('beta:2,8'))).toBeCloseTo(0.2, 2);
    expect(mean(draws('bernoulli:0.1'))).toBeCloseTo(0.1, 2);
    expect(new Set(draws('bernoulli:0.3', 100))).toEqual(new Set([0, 1]));
    const u = draws('uniform:0.2,0.6');
    expect(mean(u)).toBeCloseTo(0.4, 2);
    expect(variance(u)).toBeCloseTo(0.16 / 12, 3);
    const z = draws('normal:0.5,0.1');
    expect(mean(z)).toBeCloseTo(0.5, 2);
    const clipped = draws('normal:0.9,0.3');
    expect(Math.max(...clipped)).toBe(1);
    expect(Math.min(...clipped)).toBeGreaterThanOrEqual(0);
    expect(samplerFromSpec(' Beta:2, 8 '.trim()).description).toBe('Beta:2, 8');
  });

  it('returns file specs for the caller to read', () => {
    expect(parseDistributionSpec('file:scores/ref.json')).toEqual({ kind: 'file', path: 'scores/ref.json' });
    expect(() => samplerFromSpec('file:x.txt')).toThrow(/empiricalSampler/);
  });

  it('rejects malformed specs', () => {
    for (const bad of ['beta:2', 'beta:0,1', 'bernoulli:1.5', 'uniform:1,0', 'normal:0,-1', 'gauss:0,1', 'beta', 'file:', 'beta:a,b', 'beta:2,']) {
      expect(() => parseDistributionSpec(bad)).toThrow(RangeError);
    }
  });

  it('resamples empirical scores and mixes samplers', () => {
    const rng = new Rng(2);
    const emp = empiricalSampler([0.1, 0.2, NaN, 0.9]);
    const xs = Array.from({ length: 30_000 }, () => emp.sample(rng));
    expect(new Set(xs)).toEqual(new Set([0.1, 0.2, 0.9]));
    expect(mean(xs)).toBeCloseTo(0.4, 2);
    expect(() => empiricalSampler([NaN])).toThrow(RangeError);
    const mix = mixtureSampler([{ weight: 3, sampler: samplerFromSpec('bernoulli:0') }, { weight: 1, sampler: samplerFromSpec('bernoulli:1') }]);
    expect(mean(Array.from({ length: 40_000 }, () => mix.sample(rng)))).toBeCloseTo(0.25, 2);
  });
});
