/** Confidence intervals for a binomial proportion. */
import { normalQuantile } from './special-functions';

export interface ProportionInterval {
  successes: number;
  n: number;
  /** successes / n (NaN when n = 0). */
  estimate: number;
  low: number;
  high: number;
  level: number;
}

/**
 * Wilson score interval (Wilson 1927): the set of p whose score test z = (p̂ − p)/√(p(1 − p)/n) stays within
 * ±z_{(1+level)/2}. Centre (p̂ + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p̂(1 − p̂)/n + z²/4n²). Unlike the
 * Wald interval it stays inside [0, 1] and is not degenerate at 0 or n successes. n = 0 gives [0, 1].
 */
export function wilsonInterval(successes: number, n: number, level = 0.95): ProportionInterval {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`successes must be an integer in [0, n], got ${successes}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie in (0, 1), got ${level}`);
  if (n === 0) return { successes, n, estimate: NaN, low: 0, high: 1, level };
  const z = normalQuantile((1 + level) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return { successes, n, estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), level };
}
