import { AssayError } from '@assay/contracts';
import { certificateLog2, constrictionSummary, ConstrictionSummary, normalizedLog2Ratio, rocCurve, RocPoint, separationSummary, SeparationSummary } from '@assay/stats';

/**
 * Offline VALID evaluation of scored in-domain (ID) and out-of-domain (OOD) responses (spec §4), pure.
 * N_y follows the certify path's rule (certify-attempts.ts): L's response tokens without EOS when the tokenizers
 * match, G's token count otherwise. Rejection means r = (log2 L − log2 G) / N_y > k; OOD is the positive class.
 * Every k is chosen on a calibration part of each set and every headline figure (FRR, OOD rejection, J, AUROC, the
 * domain certificate, the ROC and the ε_y eCDF) is measured on the held-out rest (@assay/stats separationSummary);
 * the in-sample figures are kept apart, labelled.
 */
export interface ScoredItem {
  set: 'id' | 'ood';
  /** Position in its set's file. */
  index: number;
  nTokens: number;
  log2L: number;
  log2G: number;
}

export interface EvaluationOptions {
  targetFrr: number;
  targetEpsilonLog2?: number;
  T: number;
  minTokens: number;
  /** Share of each set that calibrates k (default ½). */
  calibrationFraction?: number;
  /** Seed of the calibration/held-out split. */
  seed?: number;
}

/** The shared separation summary (@assay/stats), with the counts and the figures' data of a report. */
export interface EvaluationSummary extends SeparationSummary {
  counts: { inDomain: number; outOfDomain: number; dropped: number };
  /** log10 CR quantiles over held-out OOD at k (spec §1, constriction ratio). */
  constrictionLog10: ConstrictionSummary;
  /** ROC on the held-out items. */
  roc: RocPoint[];
  /** log10 ε_y at k of the held-out items, for the atomic-certificate eCDF. */
  log10Epsilon: { inDomain: number[]; outOfDomain: number[] };
}

const LOG10_2 = Math.log10(2);
const MAX_ROC_POINTS = 400;

export function ratioOf(item: Pick<ScoredItem, 'log2L' | 'log2G' | 'nTokens'>): number {
  return normalizedLog2Ratio(item.log2L, item.log2G, item.nTokens);
}

export function summarizeEvaluation(items: readonly ScoredItem[], options: EvaluationOptions): EvaluationSummary {
  const kept = items.filter((i) => i.nTokens >= options.minTokens && Number.isFinite(i.log2L) && Number.isFinite(i.log2G));
  const id = kept.filter((i) => i.set === 'id');
  const ood = kept.filter((i) => i.set === 'ood');
  if (id.length === 0 || ood.length === 0) {
    throw AssayError.badRequest(`an evaluation needs scorable items in both sets; got ${id.length} in-domain and ${ood.length} out-of-domain with at least ${options.minTokens} token(s)`);
  }
  let summary: SeparationSummary;
  try {
    summary = separationSummary(id, ood, { targetFrr: options.targetFrr, T: options.T, targetEpsilonLog2: options.targetEpsilonLog2, calibrationFraction: options.calibrationFraction, splitSeed: options.seed ?? 0 });
  } catch (error) {
    if (error instanceof RangeError) throw AssayError.badRequest(`${error.message} (after dropping items with fewer than ${options.minTokens} token(s))`);
    throw error;
  }
  const { k, T } = summary;
  const heldId = summary.heldOut.inDomain.map((i) => id[i]);
  const heldOod = summary.heldOut.outOfDomain.map((i) => ood[i]);
  const epsilonAt = (item: ScoredItem) => certificateLog2(k, item.nTokens, T, item.log2G) * LOG10_2;
  return {
    ...summary,
    counts: { inDomain: id.length, outOfDomain: ood.length, dropped: items.length - kept.length },
    constrictionLog10: constrictionSummary(heldOod, k, T),
    roc: thin(rocCurve(heldId.map(ratioOf), heldOod.map(ratioOf)), MAX_ROC_POINTS),
    log10Epsilon: { inDomain: heldId.map(epsilonAt), outOfDomain: heldOod.map(epsilonAt) },
  };
}

/** At most `max` points, evenly spread, first and last kept (a plot needs no more). */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]);
  return out;
}
