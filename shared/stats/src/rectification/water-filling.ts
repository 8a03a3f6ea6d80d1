/**
 * Rectified next-token distributions (spec shared/specs/rectification.md §3): every token a gets a cap
 * c(a) = max(1 + Q(s,a) − ε, pMin) on its probability, and π is redistributed by **exact water-filling**
 * (pitfall 2): π'(a) = min(c(a), k·π(a)) with the one k ≥ 1 that makes Σπ' = 1. Mass taken from capped tokens
 * flows to the uncapped ones in proportion to π, which is the closest distribution to π (in KL) under the caps.
 * All in float64 (pitfall 13).
 *
 * Caps (`capsFromQ`): Q is first clamped to [−1, 0] (pitfall 4). Pitfall 3 (the ε cap also limits safe tokens
 * to 1 − ε) is the caller's choice between two documented modes:
 * - `absolute` (default; the issue's formula and the reference code): c = max(1 + Q − ε, pMin), so a token with
 *   Q = 0 may not exceed 1 − ε;
 * - `relative` (SFGen's rescaling): c = max((1 + Q − ε)/(1 − ε), pMin), so Q = 0 gives c = 1 and only risky
 *   tokens are capped. For Q ∈ [−1, 0] it still satisfies the security condition π' ≤ 1 + Q of dead-end
 *   theory, since (1 + Q − ε)/(1 − ε) ≤ 1 + Q ⇔ ε·Q ≤ 0. Tokens with Q ≤ −(1 − ε) get pMin in both modes.
 * Tokens in `exemptTokens` get c = 1 (pitfall 7: EOS when Q(s, EOS) was never trained).
 *
 * Water-filling: the feasible case needs Σ_{a: π(a) > 0} c(a) ≥ 1 (only tokens π gives mass can receive any).
 * Starting from k = 1, tokens with k·π(a) > c(a) are capped, k is recomputed as
 * (1 − Σ_capped c)/(Σ_uncapped π), and this repeats until no new token exceeds its cap. k only grows, so a capped
 * token stays capped: each pass caps at least one more token and the loop ends after at most V passes
 * (a handful in practice). When nothing exceeds its cap, π is returned unchanged, bit for bit (so ε = 0 with
 * Q ≡ 0 is the identity).
 *
 * Dead end (Σ caps over π's support < 1, every token capped): no distribution satisfies the caps. The documented
 * fallback is π' ∝ π·c (renormalised), which keeps the LM's preferences weighted by safety, flagged `deadEnd`.
 */

export type CapMode = 'absolute' | 'relative';

export interface CapOptions {
  /** Margin ε ∈ [0, 1] (relative mode: [0, 1)). */
  epsilon: number;
  /** Floor of every cap (default 1e-7, the reference code). */
  pMin?: number;
  mode?: CapMode;
  /** Token ids whose cap is 1 (e.g. EOS). */
  exemptTokens?: ArrayLike<number>;
}

/** Per-token caps from Q values (any real numbers; clamped to [−1, 0] first). */
export function capsFromQ(q: ArrayLike<number>, options: CapOptions): Float64Array {
  const { epsilon, pMin = 1e-7, mode = 'absolute' } = options;
  if (!(epsilon >= 0 && epsilon <= 1)) throw new RangeError(`epsilon must lie in [0, 1], got ${epsilon}`);
  if (mode === 'relative' && epsilon === 1) throw new RangeError('relative caps need epsilon < 1');
  if (mode !== 'absolute' && mode !== 'relative') throw new RangeError(`cap mode must be absolute or relative, got ${mode as string}`);
  if (!(pMin > 0 && pMin <= 1)) throw new RangeError(`pMin must lie in (0, 1], got ${pMin}`);
  const caps = new Float64Array(q.length);
  const scale = mode === 'relative' ? 1 / (1 - epsilon) : 1;
  for (let a = 0; a < q.length; a++) {
    const v = q[a];
    if (Number.isNaN(v)) throw new RangeError(`q[${a}] is NaN`);
    const clamped = v > 0 ? 0 : v < -1 ? -1 : v;
    const raw = (1 + clamped - epsilon) * scale;
    caps[a] = raw < pMin ? pMin : raw > 1 ? 1 : raw;
  }
  if (options.exemptTokens) {
    for (let k = 0; k < options.exemptTokens.length; k++) {
      const id = options.exemptTokens[k];
      if (!Number.isInteger(id) || id < 0 || id >= q.length) throw new RangeError(`exempt token ${id} is outside the vocabulary`);
      caps[id] = 1;
    }
  }
  return caps;
}

export interface WaterFillResult {
  /** π' (Float64Array, sums to 1). */
  probs: Float64Array;
  /** The factor k applied to uncapped tokens (1 when nothing was capped; NaN at a dead end). */
  scale: number;
  /** Total variation moved: Σ max(0, π − π'). */
  massMoved: number;
  /**
   * Tokens held at their cap (the cap binds; such a token may still have gained mass, e.g. 0.3 → 0.4 under a cap
   * of 0.4). At a dead end: every token with π > 0.
   */
  tokensCapped: number;
  /** Σ caps over π's support < 1: the fallback π' ∝ π·c was used. */
  deadEnd: boolean;
  /** Water-filling passes (diagnostics). */
  passes: number;
}

/**
 * Exact water-filling of π under `caps` (see the file comment), with the dead-end fallback.
 *
 * The passes are the reference's (each caps every uncapped token with k·π > c at the current k, then recomputes k
 * from Σ caps of the capped tokens and Σ π of the others, both summed in index order), so the result is the same
 * bit for bit, but cheaper: validation, the no-cap check and the support's caps are one O(V) scan; later passes
 * visit only the tokens still uncapped with π > 0 (a compacted index list, so Σ π keeps its index order), and
 * Σ caps runs over the capped tokens only (kept sorted by index).
 */
export function waterFill(pi: ArrayLike<number>, caps: ArrayLike<number>): WaterFillResult {
  const n = pi.length;
  if (n !== caps.length) throw new RangeError(`${n} probabilities for ${caps.length} caps`);
  if (n === 0) throw new RangeError('empty distribution');
  let total = 0;
  let anyOver = false;
  let supportCaps = 0;
  let support = 0;
  for (let a = 0; a < n; a++) {
    const p = pi[a];
    const c = caps[a];
    if (!(p >= 0) || p === Infinity) throw new RangeError(`pi[${a}] must be a finite probability, got ${p}`);
    if (!(c > 0 && c <= 1)) throw new RangeError(`caps[${a}] must lie in (0, 1], got ${c}`);
    total += p;
    if (p > 0) {
      supportCaps += c;
      support++;
      if (p > c) anyOver = true;
    }
  }
  if (Math.abs(total - 1) > 1e-6) throw new RangeError(`pi must sum to 1 (got ${total})`);
  if (!anyOver) return { probs: Float64Array.from(pi), scale: 1, massMoved: 0, tokensCapped: 0, deadEnd: false, passes: 0 };
  if (supportCaps < 1) return deadEndFallback(pi, caps);
  // Tokens with π = 0 never exceed a cap (0 > c is false) and add nothing to Σ π: only the support is visited.
  const free = new Int32Array(support);
  let freeCount = 0;
  for (let a = 0; a < n; a++) if (pi[a] > 0) free[freeCount++] = a;
  let capped = new Int32Array(0);
  let spare = new Int32Array(support);
  let k = 1;
  let passes = 0;
  for (;;) {
    passes++;
    // One scan of the uncapped tokens at the current k: those over their cap join `fresh` (in index order), the
    // rest stay in `free` (compacted in place, index order kept) and their π is summed as the reference sums it.
    const fresh = spare;
    let freshCount = 0;
    let kept = 0;
    let freeMass = 0; // Σ π of uncapped tokens
    for (let i = 0; i < freeCount; i++) {
      const a = free[i];
      if (k * pi[a] > caps[a]) fresh[freshCount++] = a;
      else {
        free[kept++] = a;
        freeMass += pi[a];
      }
    }
    freeCount = kept;
    if (freshCount === 0) break;
    // Merge the newly capped into the index-sorted capped list, summing their caps in index order.
    const merged = new Int32Array(capped.length + freshCount);
    let cappedMass = 0; // Σ caps of capped tokens
    for (let i = 0, j = 0, m = 0; m < merged.length; m++) {
      const a = j >= freshCount || (i < capped.length && capped[i] < fresh[j]) ? capped[i++] : fresh[j++];
      merged[m] = a;
      cappedMass += caps[a];
    }
    capped = merged;
    spare = fresh;
    if (!(freeMass > 0)) {
      // Everything with mass is capped: Σ caps = 1 up to rounding (the feasible boundary). Renormalise the caps.
      k = Infinity;
      break;
    }
    k = (1 - cappedMass) / freeMass;
  }
  const isCapped = new Uint8Array(n);
  for (let i = 0; i < capped.length; i++) isCapped[capped[i]] = 1;
  const probs = new Float64Array(n);
  let massMoved = 0;
  let sum = 0;
  for (let a = 0; a < n; a++) {
    const p = isCapped[a] ? caps[a] : k === Infinity ? 0 : k * pi[a];
    probs[a] = p;
    sum += p;
  }
  if (k === Infinity) for (let a = 0; a < n; a++) probs[a] /= sum;
  for (let a = 0; a < n; a++) if (probs[a] < pi[a]) massMoved += pi[a] - probs[a];
  return { probs, scale: k, massMoved, tokensCapped: capped.length, deadEnd: false, passes };
}

function deadEndFallback(pi: ArrayLike<number>, caps: ArrayLike<number>): WaterFillResult {
  const n = pi.length;
  const probs = new Float64Array(n);
  let total = 0;
  for (let a = 0; a < n; a++) {
    probs[a] = pi[a] * caps[a];
    total += probs[a];
  }
  let massMoved = 0;
  let tokensCapped = 0;
  for (let a = 0; a < n; a++) {
    probs[a] /= total;
    if (probs[a] < pi[a]) massMoved += pi[a] - probs[a];
    if (pi[a] > 0) tokensCapped++;
  }
  return { probs, scale: NaN, massMoved, tokensCapped, deadEnd: true, passes: 0 };
}

/** One rectified step without the per-token logarithms (see `rectifiedLogProb` for one token's). */
export interface RectifiedProbs extends WaterFillResult {
  /** log π(a) (log-softmax of the logits, float64). */
  logPi: Float64Array;
  /** π(a) = exp(log π(a)). */
  pi: Float64Array;
  caps: Float64Array;
  /** log Σ exp(logits): logits[a] − logNormalizer = log π(a). */
  logNormalizer: number;
}

export interface RectifiedDistribution extends RectifiedProbs {
  /** log π'(a), exact in log space for uncapped tokens (log k + log π(a)), for per-token samplingLogprob. */
  logProbs: Float64Array;
}

/** softmax(logits) in float64, then caps from Q and water-filling: one decoding step of the rectifier, without log π'. */
export function rectifyProbs(logits: ArrayLike<number>, q: ArrayLike<number>, options: CapOptions): RectifiedProbs {
  const n = logits.length;
  if (q.length !== n) throw new RangeError(`${n} logits for ${q.length} Q values (vocabularies differ)`);
  let max = -Infinity;
  for (let a = 0; a < n; a++) {
    if (Number.isNaN(logits[a]) || logits[a] === Infinity) throw new RangeError(`logits[${a}] is ${logits[a]}`);
    if (logits[a] > max) max = logits[a];
  }
  if (max === -Infinity) throw new RangeError('every logit is −∞');
  let sum = 0;
  for (let a = 0; a < n; a++) sum += Math.exp(logits[a] - max);
  const lse = max + Math.log(sum);
  const logPi = new Float64Array(n);
  const pi = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    logPi[a] = logits[a] - lse;
    pi[a] = Math.exp(logPi[a]);
  }
  const caps = capsFromQ(q, options);
  return { ...waterFill(pi, caps), logPi, pi, caps, logNormalizer: lse };
}

function uncappedShift(r: WaterFillResult): number {
  return r.deadEnd || r.scale === Infinity ? NaN : Math.log(r.scale);
}

function logProbWith(r: RectifiedProbs, shift: number, a: number): number {
  const p = r.probs[a];
  // Uncapped tokens of a feasible fill are k·π exactly; everything else (caps, fallback) is its own number.
  return !Number.isNaN(shift) && p === r.scale * r.pi[a] && p <= r.caps[a] ? shift + r.logPi[a] : Math.log(p);
}

/** log π'(a) of one token, the same number `rectifyLogits` gives in `logProbs[a]`. */
export function rectifiedLogProb(r: RectifiedProbs, a: number): number {
  return logProbWith(r, uncappedShift(r), a);
}

/** `rectifyProbs` plus log π'(a) of every token. */
export function rectifyLogits(logits: ArrayLike<number>, q: ArrayLike<number>, options: CapOptions): RectifiedDistribution {
  const r = rectifyProbs(logits, q, options);
  const shift = uncappedShift(r);
  const logProbs = new Float64Array(logits.length);
  for (let a = 0; a < logits.length; a++) logProbs[a] = logProbWith(r, shift, a);
  return { ...r, logProbs };
}
