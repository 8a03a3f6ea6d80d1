import { AssayError } from '@assay/contracts';
import {
  auroc,
  certificateLog2,
  constrictionSummary,
  ConstrictionSummary,
  domainCertificateLog2,
  kForTargetEpsilon,
  kForTargetFrr,
  normalizedLog2Ratio,
  rejectionRates,
  rocCurve,
  RocPoint,
  youdenBestK,
} from '@assay/stats';

/**
 * Offline VALID evaluation of scored in-domain (ID) and out-of-domain (OOD) responses (spec §4), pure.
 * N_y follows the certify path's rule (certify-attempts.ts): L's response tokens without EOS when the tokenizers
 * match, G's token count otherwise. Rejection means r = (log2 L − log2 G) / N_y > k; OOD is the positive class.
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
}

export interface EvaluationSummary {
  auroc: number;
  k: number;
  targetFrr: number;
  frr: number;
  ood_rejection: number;
  domain_certificate_log2: number;
  youden: { k: number; j: number; frr: number; ood_rejection: number };
  kForTargetEpsilon: number | null;
  atTargetEpsilon?: { log2Epsilon: number; k: number | null; frr: number | null; ood_rejection: number | null };
  T: number;
  counts: { inDomain: number; outOfDomain: number; dropped: number };
  /** log10 CR quantiles over OOD at k (spec §1, constriction ratio). */
  constrictionLog10: ConstrictionSummary;
  roc: RocPoint[];
  ratios: { inDomain: number[]; outOfDomain: number[] };
  /** log10 ε_y at k, for the atomic-certificate eCDF. */
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
  const idR = id.map(ratioOf);
  const oodR = ood.map(ratioOf);
  const { T } = options;
  const k = kForTargetFrr(idR, options.targetFrr);
  const atK = rejectionRates(idR, oodR, k);
  const best = youdenBestK(idR, oodR);
  const kEps = options.targetEpsilonLog2 === undefined ? null : kForTargetEpsilon(ood, options.targetEpsilonLog2, T);
  const atEps = kEps === null ? undefined : rejectionRates(idR, oodR, kEps);
  const epsilonAt = (item: ScoredItem) => certificateLog2(k, item.nTokens, T, item.log2G) * LOG10_2;
  return {
    auroc: auroc(idR, oodR),
    k,
    targetFrr: options.targetFrr,
    frr: atK.frr,
    ood_rejection: atK.trr,
    domain_certificate_log2: domainCertificateLog2(ood, k, T),
    youden: { k: best.k, j: best.youdenJ, frr: best.frr, ood_rejection: best.trr },
    kForTargetEpsilon: kEps,
    ...(options.targetEpsilonLog2 === undefined
      ? {}
      : { atTargetEpsilon: { log2Epsilon: options.targetEpsilonLog2, k: kEps, frr: atEps?.frr ?? null, ood_rejection: atEps?.trr ?? null } }),
    T,
    counts: { inDomain: id.length, outOfDomain: ood.length, dropped: items.length - kept.length },
    constrictionLog10: constrictionSummary(ood, k, T),
    roc: thin(rocCurve(idR, oodR), MAX_ROC_POINTS),
    ratios: { inDomain: idR, outOfDomain: oodR },
    log10Epsilon: { inDomain: id.map(epsilonAt), outOfDomain: ood.map(epsilonAt) },
  };
}

/** At most `max` points, evenly spread, first and last kept (a plot needs no more). */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]);
  return out;
}
