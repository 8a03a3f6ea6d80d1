/**
 * Evaluation of VALID on scored data sets (spec shared/specs/valid.md §4).
 *
 * Inputs are per-item **normalised** log2 ratios r = (log2 L − log2 G) / N_y in bits per token (N_y as defined in
 * valid.ts), for in-domain (ID) and out-of-domain (OOD) items. Conventions:
 * - Rejection means r > k. OOD is the positive class.
 * - FRR = fraction of ID rejected; TRR (true rejection rate, the TPR) = fraction of OOD rejected.
 */
import { quantile, quantileSorted, sortedCopy } from './descriptive';
import { certificateLog2, SequenceScores, constrictionRatioLog10 } from './valid';

export interface RejectionRates {
  k: number;
  frr: number;
  trr: number;
  /** Youden's J = TRR − FRR. */
  youdenJ: number;
}

function assertNoNaN(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) throw new RangeError(`${what}[${i}] is NaN`);
}

function fractionAbove(values: ArrayLike<number>, k: number): number {
  if (values.length === 0) return NaN;
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > k) count++;
  return count / values.length;
}

export function rejectionRates(idRatios: ArrayLike<number>, oodRatios: ArrayLike<number>, k: number): RejectionRates {
  assertNoNaN(idRatios, 'idRatios');
  assertNoNaN(oodRatios, 'oodRatios');
  const frr = fractionAbove(idRatios, k);
  const trr = fractionAbove(oodRatios, k);
  return { k, frr, trr, youdenJ: trr - frr };
}

export interface RocPoint {
  /** Reject when r > threshold. +∞ rejects nothing, −∞ everything. */
  threshold: number;
  /** False-positive rate = FRR. */
  fpr: number;
  /** True-positive rate = TRR. */
  tpr: number;
}

/**
 * Every distinct operating point of the rule "reject r > k", from (0,0) at k = +∞ (well, at the largest
 * observed value) to (1,1) at k = −∞, with FPR and TPR non-decreasing.
 */
export function rocCurve(idRatios: ArrayLike<number>, oodRatios: ArrayLike<number>): RocPoint[] {
  assertNoNaN(idRatios, 'idRatios');
  assertNoNaN(oodRatios, 'oodRatios');
  if (idRatios.length === 0 || oodRatios.length === 0) throw new RangeError('ROC needs at least one ID and one OOD item');
  const id = sortedCopy(idRatios);
  const ood = sortedCopy(oodRatios);
  const thresholds = uniqueDescending(id, ood);
  const points: RocPoint[] = [];
  // Walk thresholds from high to low with two pointers counting the values strictly above each threshold.
  let i = id.length;
  let j = ood.length;
  for (const t of [...thresholds, -Infinity]) {
    while (i > 0 && id[i - 1] > t) i--;
    while (j > 0 && ood[j - 1] > t) j--;
    points.push({ threshold: t, fpr: (id.length - i) / id.length, tpr: (ood.length - j) / ood.length });
  }
  return points;
}

function uniqueDescending(a: Float64Array, b: Float64Array): number[] {
  const all = new Float64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  all.sort();
  const out: number[] = [];
  for (let i = all.length - 1; i >= 0; i--) if (out.length === 0 || all[i] !== out[out.length - 1]) out.push(all[i]);
  return out;
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: P(r_OOD > r_ID) + ½·P(r_OOD = r_ID), computed from
 * mid-ranks in O(n log n). Equals the trapezoidal area under `rocCurve`.
 */
export function auroc(idRatios: ArrayLike<number>, oodRatios: ArrayLike<number>): number {
  assertNoNaN(idRatios, 'idRatios');
  assertNoNaN(oodRatios, 'oodRatios');
  const nId = idRatios.length;
  const nOod = oodRatios.length;
  if (nId === 0 || nOod === 0) throw new RangeError('AUROC needs at least one ID and one OOD item');
  const items: Array<{ v: number; ood: boolean }> = [];
  for (let i = 0; i < nId; i++) items.push({ v: idRatios[i], ood: false });
  for (let i = 0; i < nOod; i++) items.push({ v: oodRatios[i], ood: true });
  items.sort((x, y) => (x.v < y.v ? -1 : x.v > y.v ? 1 : 0));
  let rankSumOod = 0;
  for (let start = 0; start < items.length; ) {
    let end = start;
    while (end + 1 < items.length && items[end + 1].v === items[start].v) end++;
    const midRank = (start + end) / 2 + 1; // 1-based average rank of the tie group
    for (let m = start; m <= end; m++) if (items[m].ood) rankSumOod += midRank;
    start = end + 1;
  }
  return (rankSumOod - (nOod * (nOod + 1)) / 2) / (nOod * nId);
}

/** n evenly spaced values from start to stop inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`linspace needs n >= 1, got ${n}`);
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

/**
 * The k maximising Youden's J = TRR − FRR. Candidates default to every observed value (which covers every
 * distinct operating point of "reject r > k"); pass a grid to mimic the notebook's linspace(min r, 10, 100).
 * Ties go to the smallest k (the stricter rule).
 */
export function youdenBestK(idRatios: ArrayLike<number>, oodRatios: ArrayLike<number>, candidates?: ArrayLike<number>): RejectionRates {
  const points = rocCurve(idRatios, oodRatios);
  let best: RejectionRates | null = null;
  const consider = (k: number, frr: number, trr: number) => {
    const j = trr - frr;
    if (best === null || j > best.youdenJ || (j === best.youdenJ && k < best.k)) best = { k, frr, trr, youdenJ: j };
  };
  if (candidates) {
    for (let i = 0; i < candidates.length; i++) {
      const r = rejectionRates(idRatios, oodRatios, candidates[i]);
      consider(r.k, r.frr, r.trr);
    }
  } else {
    for (const p of points) if (Number.isFinite(p.threshold)) consider(p.threshold, p.fpr, p.tpr);
  }
  if (best === null) throw new RangeError('youdenBestK needs at least one finite candidate');
  return best;
}

/**
 * k for a target false-rejection rate: k = quantile_{1−FRR} of the ID ratios (spec §4), with the type-7
 * (numpy/pandas default, linear interpolation) quantile. Rejecting r > k then rejects a fraction of ID items
 * at most the target, up to interpolation and ties.
 */
export function kForTargetFrr(idRatios: ArrayLike<number>, targetFrr: number): number {
  if (!(targetFrr >= 0 && targetFrr <= 1)) throw new RangeError(`targetFrr must lie in [0, 1], got ${targetFrr}`);
  for (let i = 0; i < idRatios.length; i++) if (!Number.isFinite(idRatios[i])) throw new RangeError(`idRatios[${i}] must be finite`);
  return quantile(idRatios, 1 - targetFrr);
}

export interface CertifiableItem {
  log2G: number;
  nTokens: number;
}

/** ε-DC at k: log2 of max_{y ∈ OOD sample} ε_y = max (k·N_y + log2 T + log2 G(y)). */
export function domainCertificateLog2(oodItems: readonly CertifiableItem[], k: number, T: number): number {
  if (oodItems.length === 0) throw new RangeError('domain certificate needs at least one OOD item');
  let max = -Infinity;
  for (const item of oodItems) max = Math.max(max, certificateLog2(k, item.nTokens, T, item.log2G));
  return max;
}

export interface KForEpsilonOptions {
  /** Search interval for k (bits per token); the spec's table uses [−100, 100]. */
  lo?: number;
  hi?: number;
  maxIterations?: number;
  /** Stop once |max_y log2 ε_y − log2 ε| < tolerance (log2 units). */
  tolerance?: number;
}

/**
 * k such that the domain certificate equals ε: bisection on f(k) = domainCertificateLog2(OOD, k, T) − log2 ε,
 * which is non-decreasing in k (spec §4, `get_k_given_epsilon`). Returns the lower end of the final bracket, so
 * the returned k certifies at most ε (f ≤ 0). Returns null when even k = lo certifies more than ε; returns `hi`
 * when even k = hi stays within ε.
 */
export function kForTargetEpsilon(oodItems: readonly CertifiableItem[], log2Epsilon: number, T: number, options: KForEpsilonOptions = {}): number | null {
  const { lo: lo0 = -100, hi: hi0 = 100, maxIterations = 100, tolerance = 1e-6 } = options;
  if (!Number.isFinite(log2Epsilon)) throw new RangeError(`log2Epsilon must be finite, got ${log2Epsilon}`);
  if (!(lo0 < hi0)) throw new RangeError(`need lo < hi, got ${lo0}, ${hi0}`);
  const f = (k: number) => domainCertificateLog2(oodItems, k, T) - log2Epsilon;
  if (f(lo0) > 0) return null;
  if (f(hi0) <= 0) return hi0;
  let lo = lo0;
  let hi = hi0;
  for (let it = 0; it < maxIterations; it++) {
    const mid = (lo + hi) / 2;
    const value = f(mid);
    if (value > 0) hi = mid;
    else lo = mid;
    if (Math.abs(value) < tolerance && value <= 0) return mid;
  }
  return lo;
}

export interface ConstrictionSummary {
  q10: number;
  median: number;
  q90: number;
}

/** Quantiles (10 % / 50 % / 90 %) of log10 CR over a sample (the notebook reports these over OOD). */
export function constrictionSummary(items: readonly SequenceScores[], k: number, T: number): ConstrictionSummary {
  if (items.length === 0) throw new RangeError('constriction summary needs at least one item');
  const sorted = sortedCopy(items.map((it) => constrictionRatioLog10(it, k, T)));
  return { q10: quantileSorted(sorted, 0.1), median: quantileSorted(sorted, 0.5), q90: quantileSorted(sorted, 0.9) };
}

export interface BenchmarkItem {
  correct: boolean;
  normalizedLog2Ratio: number;
}

/** Certified benchmarking (spec §4): accuracy@k = mean(correct ∧ accepted), accepted = r ≤ k; frr = mean(rejected). */
export function certifiedAccuracy(items: readonly BenchmarkItem[], k: number): { accuracy: number; frr: number; n: number } {
  if (items.length === 0) throw new RangeError('certified accuracy needs at least one item');
  let correctAccepted = 0;
  let rejected = 0;
  for (const it of items) {
    if (Number.isNaN(it.normalizedLog2Ratio)) throw new RangeError('normalizedLog2Ratio is NaN');
    const accepted = it.normalizedLog2Ratio <= k;
    if (!accepted) rejected++;
    else if (it.correct) correctAccepted++;
  }
  return { accuracy: correctAccepted / items.length, frr: rejected / items.length, n: items.length };
}
