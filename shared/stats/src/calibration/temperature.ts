/**
 * Temperature scaling (spec shared/specs/calibration.md §3.3): one scalar T > 0, probabilities
 * softmax(z / T). Fitted on the **validation split** by minimising the mean negative log-likelihood, not with
 * the reference's AdamW on log T (pitfall 8: at lr 1e-4 it barely moves, and its weight decay pulls T to 1).
 *
 * With τ = 1/T, NLL(τ) = mean_i [logsumexp(τ·z_i) − τ·z_i,y_i] is convex in τ (log-sum-exp of functions linear in
 * τ, minus a linear term), so a bracketed golden-section search on τ ∈ [1/maxT, 1/minT] finds the global
 * minimum within the bounds. The fit then compares with T = 1 and keeps T = 1 unless the fitted T has a lower
 * NLL on the fitting data (by more than rounding), so it never raises the NLL it was fitted on. All in float64 (pitfall 8: fp32 softmax).
 */

export interface TemperatureFit {
  temperature: number;
  /** Mean NLL on the fitting data at T = 1 and at the fitted T. */
  nllBefore: number;
  nllAfter: number;
  /** Objective evaluations used. */
  evaluations: number;
}

export interface TemperatureFitOptions {
  /** Search range of T (default [0.05, 100]); a fit at a bound means the data wants a more extreme T. */
  minTemperature?: number;
  maxTemperature?: number;
  /** Golden-section stops when the τ bracket is narrower than this (default 1e-9). */
  tolerance?: number;
}

/**
 * Mean NLL of the rows of `logits` (n × k, row-major, or one array per row) at temperature T, with integer
 * class labels. Two-way query logits [z_no, z_yes] with label 1 = correct are the calibrator's case.
 */
export function temperatureNll(logits: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>, temperature: number): number {
  checkLogits(logits, labels);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be finite and > 0, got ${temperature}`);
  return meanNll(logits, labels, 1 / temperature);
}

function meanNll(logits: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>, tau: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i];
    let max = -Infinity;
    for (let c = 0; c < z.length; c++) if (tau * z[c] > max) max = tau * z[c];
    let s = 0;
    for (let c = 0; c < z.length; c++) s += Math.exp(tau * z[c] - max);
    sum += max + Math.log(s) - tau * z[labels[i]];
  }
  return sum / logits.length;
}

function checkLogits(logits: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>): void {
  if (logits.length !== labels.length) throw new RangeError(`${logits.length} logit rows for ${labels.length} labels`);
  if (logits.length === 0) throw new RangeError('temperature scaling needs at least one example');
  const k = logits[0].length;
  if (k < 2) throw new RangeError('temperature scaling needs at least two classes');
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i];
    if (z.length !== k) throw new RangeError(`logit row ${i} has ${z.length} entries, expected ${k}`);
    for (let c = 0; c < k; c++) if (!Number.isFinite(z[c])) throw new RangeError(`logits[${i}][${c}] is not finite`);
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new RangeError(`labels[${i}] must be a class index in [0, ${k}), got ${y}`);
  }
}

const INV_PHI = (Math.sqrt(5) - 1) / 2;

/** Fits T by golden-section search on τ = 1/T (see the file comment); never returns a T worse than 1. */
export function fitTemperature(logits: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>, options: TemperatureFitOptions = {}): TemperatureFit {
  checkLogits(logits, labels);
  const minT = options.minTemperature ?? 0.05;
  const maxT = options.maxTemperature ?? 100;
  const tol = options.tolerance ?? 1e-9;
  if (!(minT > 0 && maxT > minT && Number.isFinite(maxT))) throw new RangeError(`need 0 < minTemperature < maxTemperature < ∞, got [${minT}, ${maxT}]`);
  let evaluations = 0;
  const f = (tau: number) => {
    evaluations++;
    return meanNll(logits, labels, tau);
  };
  let a = 1 / maxT;
  let b = 1 / minT;
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol * Math.max(1, Math.abs(c))) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - INV_PHI * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + INV_PHI * (b - a);
      fd = f(d);
    }
  }
  // The minimum of a convex function on [a, b]: the best of the final points and the ends of the range.
  let bestTau = fc <= fd ? c : d;
  let best = Math.min(fc, fd);
  for (const tau of [1 / maxT, 1 / minT]) {
    const v = f(tau);
    if (v < best) [best, bestTau] = [v, tau];
  }
  const nllBefore = f(1);
  // Only a real improvement moves T (a flat objective differs from T = 1 by rounding alone).
  if (!(best < nllBefore - 1e-12 * Math.max(1, nllBefore))) return { temperature: 1, nllBefore, nllAfter: nllBefore, evaluations };
  return { temperature: 1 / bestTau, nllBefore, nllAfter: best, evaluations };
}

/** softmax(z / T) of one row, in float64. */
export function softmaxWithTemperature(z: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  const out = new Float64Array(z.length);
  let max = -Infinity;
  for (let c = 0; c < z.length; c++) if (z[c] / temperature > max) max = z[c] / temperature;
  let s = 0;
  for (let c = 0; c < z.length; c++) {
    out[c] = Math.exp(z[c] / temperature - max);
    s += out[c];
  }
  for (let c = 0; c < z.length; c++) out[c] /= s;
  return out;
}
