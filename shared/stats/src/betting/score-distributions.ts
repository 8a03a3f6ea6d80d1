/**
 * Score distributions for audit simulations, written as short specs: `beta:2,8`, `bernoulli:0.1`,
 * `uniform:0,1`, `normal:0.3,0.1` (clipped to [0, 1], like the reference code's noise option) and
 * `file:<path>`. Reading a file is the caller's business (this library does no I/O): parsing a file spec returns
 * `{kind: 'file', path}`, and the caller turns the numbers it read into `empiricalSampler(values)`.
 */
import { Rng } from '../rng';

export interface ScoreSampler {
  /** The spec or a description, for reports. */
  readonly description: string;
  sample(rng: Rng): number;
}

export type ParsedDistributionSpec = { kind: 'sampler'; sampler: ScoreSampler } | { kind: 'file'; path: string };

function parseNumbers(spec: string, body: string, count: number): number[] {
  const parts = body.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length !== count || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new RangeError(`distribution spec '${spec}' needs ${count} comma-separated number(s)`);
  }
  return values;
}

export function parseDistributionSpec(spec: string): ParsedDistributionSpec {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new RangeError(`distribution spec '${spec}' must look like kind:params (beta:2,8, bernoulli:0.1, uniform:0,1, normal:m,s, file:path)`);
  const kind = spec.slice(0, colon).trim().toLowerCase();
  const body = spec.slice(colon + 1);
  switch (kind) {
    case 'beta': {
      const [a, b] = parseNumbers(spec, body, 2);
      if (!(a > 0 && b > 0)) throw new RangeError(`beta parameters must be > 0 in '${spec}'`);
      return { kind: 'sampler', sampler: { description: spec, sample: (rng) => rng.beta(a, b) } };
    }
    case 'bernoulli': {
      const [p] = parseNumbers(spec, body, 1);
      if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli p must lie in [0, 1] in '${spec}'`);
      return { kind: 'sampler', sampler: { description: spec, sample: (rng) => (rng.next() < p ? 1 : 0) } };
    }
    case 'uniform': {
      const [lo, hi] = parseNumbers(spec, body, 2);
      if (!(lo <= hi)) throw new RangeError(`uniform needs lo <= hi in '${spec}'`);
      return { kind: 'sampler', sampler: { description: spec, sample: (rng) => rng.uniform(lo, hi) } };
    }
    case 'normal': {
      const [m, s] = parseNumbers(spec, body, 2);
      if (!(s >= 0)) throw new RangeError(`normal sd must be >= 0 in '${spec}'`);
      return { kind: 'sampler', sampler: { description: spec, sample: (rng) => Math.min(1, Math.max(0, rng.normal(m, s))) } };
    }
    case 'file': {
      const path = body.trim();
      if (path === '') throw new RangeError(`file spec '${spec}' needs a path`);
      return { kind: 'file', path };
    }
    default:
      throw new RangeError(`unknown distribution kind '${kind}' in '${spec}' (beta, bernoulli, uniform, normal, file)`);
  }
}

/** Resamples (with replacement) from observed scores; non-finite values are dropped. */
export function empiricalSampler(values: ArrayLike<number>, description = `empirical(n=${values.length})`): ScoreSampler {
  const clean = Array.from(values).filter(Number.isFinite);
  if (clean.length === 0) throw new RangeError('empirical sampler needs at least one finite value');
  return { description, sample: (rng) => clean[rng.int(clean.length)] };
}

/** Draws from component i with probability weight_i / Σ weights. */
export function mixtureSampler(components: ReadonlyArray<{ weight: number; sampler: ScoreSampler }>): ScoreSampler {
  const weights = components.map((c) => c.weight);
  const description = `mixture(${components.map((c) => `${c.weight}×${c.sampler.description}`).join(', ')})`;
  return { description, sample: (rng) => components[rng.categorical(weights)].sampler.sample(rng) };
}

/** A sampler from a spec string (file specs are refused: read the file and use `empiricalSampler`). */
export function samplerFromSpec(spec: string | ScoreSampler): ScoreSampler {
  if (typeof spec !== 'string') return spec;
  const parsed = parseDistributionSpec(spec);
  if (parsed.kind === 'file') throw new RangeError(`'${spec}' names a file: read its scores and pass empiricalSampler(values)`);
  return parsed.sampler;
}
