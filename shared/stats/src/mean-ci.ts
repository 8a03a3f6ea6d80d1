/** Mean with a t-based confidence interval (the audit report shows one per model). */
import { mean, standardDeviation } from './descriptive';
import { studentTQuantile } from './special-functions';

export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN for n = 1. */
  sd: number;
  /** Standard error sd/√n; NaN for n = 1. */
  se: number;
  low: number;
  high: number;
  level: number;
}

/**
 * mean ± t_{(1+level)/2, n−1}·sd/√n. For a single value the interval is unbounded (−∞, ∞) since no spread
 * can be estimated; non-finite values are rejected (drop NaN scores before calling).
 */
export function meanConfidenceInterval(values: ArrayLike<number>, level = 0.95): MeanInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie in (0, 1), got ${level}`);
  const n = values.length;
  if (n === 0) throw new RangeError('confidence interval of an empty sample');
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) throw new RangeError(`values[${i}] is not finite`);
  const m = mean(values);
  if (n === 1) return { n, mean: m, sd: NaN, se: NaN, low: -Infinity, high: Infinity, level };
  const sd = standardDeviation(values);
  const se = sd / Math.sqrt(n);
  const half = se === 0 ? 0 : studentTQuantile((1 + level) / 2, n - 1) * se;
  return { n, mean: m, sd, se, low: m - half, high: m + half, level };
}
