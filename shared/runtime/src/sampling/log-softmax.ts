/**
 * Log-softmax in float64 over float32 logits: max-shifted so no exp overflows, and accumulated in
 * doubles so a 50k-token normaliser keeps ~1e-12 relative precision (float32 accumulation drifts by 1e-5).
 */

/*
 * exp of a non-positive argument (a logit minus the row's maximum) without Math.exp, which V8 runs as a call
 * (~10 ns): over a 2k–50k vocabulary that call was most of the cost of a greedy step's log-softmax. Range reduction
 * x = (64·e + j)·ln2/64 + r with |r| ≤ ln2/128, 2^(j/64) from a table, exp(r) by its degree-5 Taylor polynomial
 * (truncation error < 4e-17), ln2/64 split so k·STEP_HI is exact (Cody–Waite): within 4e-16 relative of
 * Math.exp over [-700, 0]. Arguments below -700 count as 0 (exp < 1e-304 next to the maximum's 1).
 */
const STEP_HI = 6.9314718036912381649e-1 / 64;
const STEP_LO = 1.90821492927058770002e-10 / 64;
const INV_STEP = 64 / Math.LN2;
const POW2_FRACTION = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
/** 2^e for e in [-1074, 25], indexed e + 1074. */
const POW2_INT = Float64Array.from({ length: 1100 }, (_, i) => 2 ** (i - 1074));

/** exp(x) for x ≤ 0 (see above); NaN stays NaN. */
export function expNonPositive(x: number): number {
  if (x < -700) return 0;
  const k = Math.round(x * INV_STEP);
  const r = x - k * STEP_HI - k * STEP_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return POW2_FRACTION[k & 63] * POW2_INT[(k >> 6) + 1074] * p;
}

/** log Σ exp(logits[i]) over `logits[offset .. offset + length)`. */
export function logSumExp(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): number {
  let max = -Infinity;
  for (let i = offset; i < offset + length; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum += expNonPositive(logits[i] - max);
  return max + Math.log(sum);
}

/** The full log-softmax of one row, as a new Float64Array. */
export function logSoftmax(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): Float64Array {
  const lse = logSumExp(logits, offset, length);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = logits[offset + i] - lse;
  return out;
}

/** Index of the largest value; ties go to the lowest index so greedy decoding is deterministic. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i];
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** logSumExp and argmax of one row in a single scan for the maximum (scoring needs both per token). */
export function logSumExpArgmax(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): { logSumExp: number; argmax: number } {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = logits[offset + i];
    if (v > max) {
      max = v;
      best = i;
    }
  }
  if (max === -Infinity || max === Infinity) return { logSumExp: max, argmax: best };
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum += expNonPositive(logits[i] - max);
  return { logSumExp: max + Math.log(sum), argmax: best };
}
