/**
 * Log-softmax in float64 over float32 logits: max-shifted so no exp overflows, and accumulated in
 * doubles so a 50k-token normaliser keeps ~1e-12 relative precision (float32 accumulation drifts by 1e-5).
 */

/** log Σ exp(logits[i]) over `logits[offset .. offset + length)`. */
export function logSumExp(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): number {
  let max = -Infinity;
  for (let i = offset; i < offset + length; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum += Math.exp(logits[i] - max);
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
  for (let i = offset; i < offset + length; i++) sum += Math.exp(logits[i] - max);
  return { logSumExp: max + Math.log(sum), argmax: best };
}
