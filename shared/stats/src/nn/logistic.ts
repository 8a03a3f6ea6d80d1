/** The logistic function and its logarithm, stable for any finite input (no overflow, no log(0)). */
import * as M from '../fast-math';

/** σ(x) = 1 / (1 + e^−x). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + M.exp(-x));
  const e = M.exp(x);
  return e / (1 + e);
}

/** log σ(x) = −softplus(−x). */
export function logSigmoid(x: number): number {
  return x >= 0 ? -M.log1p(M.exp(-x)) : x - M.log1p(M.exp(x));
}
