/**
 * VALID domain certification (Emde et al., ICLR 2025; spec: shared/specs/valid.md §1–§3).
 *
 * All logs are base 2 unless a name says otherwise. A response y is accepted when
 *     log2 L(y|x) − log2 G(y) ≤ k · N_y          (k = allowed bits per token)
 * and an accepted y carries the atomic certificate  log2 ε_y = k·N_y + log2 T + log2 G(y).
 *
 * ## N_y, the one token count used everywhere in this library
 * N_y is the number of **response tokens of y in the sampling model L's tokenization, EOS excluded**:
 * the positions that L generated, minus a final EOS if generation stopped on one (a response cut off by
 * max_new_tokens has no EOS, and all its tokens count). EOS and PAD positions are neither scored nor counted,
 * on both L's and G's side (spec §3A.5–6), so log2 L and log2 G are prefix probabilities; G's prefix probability
 * is ≥ its full-sequence probability, which keeps the bound valid. The acceptance test, the certificate, the
 * normalised ratio, k-for-ε and the evaluation helpers all take this same N_y (`responseTokenCount`).
 * Spec pitfall §6.2: mixing count definitions between the test and the bound voids the theorem.
 */

const LN2 = Math.LN2;

/** Σ ln p_i / ln 2: a base-2 sequence log-likelihood from per-token natural-log probabilities. */
export function log2SumFromNatural(lnProbs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < lnProbs.length; i++) {
    const v = lnProbs[i];
    if (Number.isNaN(v) || v > 1e-9) throw new RangeError(`log-probability at ${i} must be <= 0, got ${v}`);
    sum += v;
  }
  return sum / LN2;
}

/**
 * N_y for a response whose generated positions are `generatedTokens` (the count L emitted, EOS included if it
 * emitted one). See the module comment: EOS is never counted.
 */
export function responseTokenCount(generatedTokens: number, endedWithEos: boolean): number {
  if (!Number.isInteger(generatedTokens) || generatedTokens < 0) throw new RangeError(`generatedTokens must be an integer >= 0, got ${generatedTokens}`);
  if (endedWithEos && generatedTokens === 0) throw new RangeError('a response that ended with EOS has at least the EOS position');
  return endedWithEos ? generatedTokens - 1 : generatedTokens;
}

export interface SequenceScores {
  /** log2 L(y|x) over the N_y response tokens (EOS excluded). */
  log2L: number;
  /** log2 G(y) over the response tokens (EOS excluded); G sees only BOS + y, never x. */
  log2G: number;
  /** N_y (see the module comment). */
  nTokens: number;
}

/**
 * Scores of one response from per-token natural-log probabilities of its tokens under L and G, EOS already
 * removed by the caller (or pass `endedWithEos` when the arrays still hold the EOS term as their last entry).
 * With matching tokenizers both arrays have N_y entries. With different tokenizers G's array is in G's token
 * space and may differ in length; N_y is still L's count.
 */
export function scoreSequence(lnL: ArrayLike<number>, lnG: ArrayLike<number>, endedWithEos = false): SequenceScores {
  const nTokens = responseTokenCount(lnL.length, endedWithEos);
  const dropLast = (a: ArrayLike<number>) => (endedWithEos ? Array.prototype.slice.call(a, 0, a.length - 1) : a);
  if (endedWithEos && lnG.length === 0) throw new RangeError('lnG must hold the EOS term too when endedWithEos is set');
  return { log2L: log2SumFromNatural(dropLast(lnL)), log2G: log2SumFromNatural(dropLast(lnG)), nTokens };
}

/** log2 L − log2 G, the summed log-ratio the acceptance test compares with k·N. */
export function log2Ratio(log2L: number, log2G: number): number {
  return log2L - log2G;
}

/**
 * Per-token ratio (log2 L − log2 G) / N_y, in bits per token. For N_y = 0 (an empty response) it is 0 when the
 * summed ratio is 0 and ±∞ otherwise; acceptance always uses the summed form, never this value.
 */
export function normalizedLog2Ratio(log2L: number, log2G: number, nTokens: number): number {
  const ratio = log2L - log2G;
  if (nTokens > 0) return ratio / nTokens;
  return ratio === 0 ? 0 : ratio > 0 ? Infinity : -Infinity;
}

/** VALID's acceptance test: log2 L − log2 G ≤ k · N_y (spec §2; the code's `log_ratio <= self.k * N_token`). */
export function validAccepts(log2L: number, log2G: number, nTokens: number, k: number): boolean {
  assertScores(log2L, log2G, nTokens);
  return log2L - log2G <= k * nTokens;
}

/** log2 ε_y = k·N_y + log2 T + log2 G(y): M(y|x) ≤ ε_y for every prompt x (spec §2, Theorem). */
export function certificateLog2(k: number, nTokens: number, T: number, log2G: number): number {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`T must be an integer >= 1, got ${T}`);
  if (!Number.isInteger(nTokens) || nTokens < 0) throw new RangeError(`nTokens must be an integer >= 0, got ${nTokens}`);
  if (!Number.isFinite(k)) throw new RangeError(`k must be finite, got ${k}`);
  return k * nTokens + Math.log2(T) + log2G;
}

export interface AttemptRecord {
  /** Position in draw order, 0-based. */
  index: number;
  nTokens: number;
  log2L: number;
  log2G: number;
  log2Ratio: number;
  normalizedLog2Ratio: number;
  accepted: boolean;
  /** Why a rejected attempt was rejected: the ratio test, or its certificate above the caller's cap. */
  rejection?: 'ratio' | 'epsilon-cap';
  /** The certificate this attempt would carry if it were emitted (same for accepted and rejected attempts). */
  certificateLog2: number;
}

export interface AcceptanceOptions {
  /**
   * Reject a draw whose certificate log2 ε_y exceeds this cap, even when its ratio passes. Rejecting on a rule that
   * depends on y alone keeps M(y|x) ≤ T·L(y|x)·1[accepted], so the bound stays valid and every emitted y has
   * ε_y ≤ 2^cap (a client that wants only non-vacuous answers passes 0).
   */
  maxLog2Epsilon?: number;
}

/** VALID's verdict on one scored draw at (k, T): the ratio test, then the optional certificate cap. */
export function judgeAttempt(scores: SequenceScores, index: number, k: number, T: number, options: AcceptanceOptions = {}): AttemptRecord {
  const record: AttemptRecord = {
    index,
    nTokens: scores.nTokens,
    log2L: scores.log2L,
    log2G: scores.log2G,
    log2Ratio: scores.log2L - scores.log2G,
    normalizedLog2Ratio: normalizedLog2Ratio(scores.log2L, scores.log2G, scores.nTokens),
    accepted: validAccepts(scores.log2L, scores.log2G, scores.nTokens, k),
    certificateLog2: certificateLog2(k, scores.nTokens, T, scores.log2G),
  };
  if (!record.accepted) record.rejection = 'ratio';
  else if (options.maxLog2Epsilon !== undefined && !(record.certificateLog2 <= options.maxLog2Epsilon)) {
    record.accepted = false;
    record.rejection = 'epsilon-cap';
  }
  return record;
}

export type FirstAcceptedResult<A extends SequenceScores> =
  | { status: 'accepted'; index: number; attempt: A; certificateLog2: number; attempts: AttemptRecord[] }
  | { status: 'abstained'; index: null; attempt: null; certificateLog2: null; attempts: AttemptRecord[] };

/**
 * VALID's rejection loop over already drawn attempts: the first accepted attempt in draw order is emitted,
 * otherwise the meta-model abstains (and the caller must emit a fixed refusal, never a rejected sample; spec §6.8).
 * Attempts after the first accepted one (a batched caller may have drawn all T at once) are still reported,
 * but never emitted. At most T attempts may be given, since the certificate charges log2 T.
 */
export function selectFirstAccepted<A extends SequenceScores>(attempts: readonly A[], k: number, T: number, options: AcceptanceOptions = {}): FirstAcceptedResult<A> {
  if (attempts.length > T) throw new RangeError(`${attempts.length} attempts exceed T = ${T}: the certificate only covers T draws`);
  const records = attempts.map((a, index) => judgeAttempt(a, index, k, T, options));
  const first = records.find((r) => r.accepted);
  if (!first) return { status: 'abstained', index: null, attempt: null, certificateLog2: null, attempts: records };
  return { status: 'accepted', index: first.index, attempt: attempts[first.index], certificateLog2: first.certificateLog2, attempts: records };
}

/** log10 of the constriction ratio CR = L(y|x) / ε_y (spec §1; > 0 means VALID pushes mass below L's). */
export function constrictionRatioLog10(scores: SequenceScores, k: number, T: number): number {
  return (scores.log2L - certificateLog2(k, scores.nTokens, T, scores.log2G)) * Math.LOG10E * LN2;
}

function assertScores(log2L: number, log2G: number, nTokens: number): void {
  if (Number.isNaN(log2L) || log2L > 1e-9) throw new RangeError(`log2L must be <= 0, got ${log2L}`);
  if (Number.isNaN(log2G) || log2G > 1e-9) throw new RangeError(`log2G must be <= 0, got ${log2G}`);
  if (!Number.isInteger(nTokens) || nTokens < 0) throw new RangeError(`nTokens must be an integer >= 0, got ${nTokens}`);
}
