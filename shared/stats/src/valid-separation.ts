/**
 * The VALID separation summary (spec shared/specs/valid.md §4), composed once for every caller (the certifier's
 * evaluation job, forge's domain-pair recipes, the acceptance test): how well the normalised ratio
 * r = (log2 L − log2 G) / N_y separates in-domain (ID) from out-of-domain (OOD) responses, at the k of a target FRR.
 * Pure; the callers drop unscorable items first, each by its own rule.
 */
import { auroc, domainCertificateLog2, kForTargetEpsilon, kForTargetFrr, rejectionRates, youdenBestK } from './valid-eval';
import { normalizedLog2Ratio, SequenceScores } from './valid';

export interface SeparationOptions {
  /** In-domain false-rejection rate that fixes k (the paper's main setting is 0.1). */
  targetFrr: number;
  /** VALID's number of sampling rounds; enters only the certificate, as + log2 T. */
  T: number;
  /** Also find the k whose domain certificate on the OOD set is this log2 ε. */
  targetEpsilonLog2?: number;
}

export interface SeparationSummary {
  /** P(r_OOD > r_ID): how well the ratio ranks OOD above in-domain. */
  auroc: number;
  /** k (bits per token) at the target FRR: the (1 − FRR) quantile of the ID ratios. */
  k: number;
  targetFrr: number;
  /** Measured ID false-rejection rate at k. */
  frr: number;
  /** Fraction of OOD responses rejected at k (the true rejection rate). */
  oodRejection: number;
  /** log2 ε-DC at k: max over the OOD sample of k·N_y + log2 T + log2 G(y). */
  domainCertificateLog2: number;
  /** The k maximising Youden's J = oodRejection − frr. */
  youden: { k: number; j: number; frr: number; oodRejection: number };
  /** null when no targetEpsilonLog2 was asked for, or no k in [−100, 100] certifies it. */
  kForTargetEpsilon: number | null;
  atTargetEpsilon?: { log2Epsilon: number; k: number | null; frr: number | null; oodRejection: number | null };
  T: number;
  /** The normalised ratios, in input order. */
  ratios: { inDomain: number[]; outOfDomain: number[] };
}

export function separationSummary(inDomain: readonly SequenceScores[], outOfDomain: readonly SequenceScores[], options: SeparationOptions): SeparationSummary {
  if (inDomain.length === 0 || outOfDomain.length === 0) {
    throw new RangeError(`a separation summary needs in-domain and out-of-domain items; got ${inDomain.length} and ${outOfDomain.length}`);
  }
  const ratio = (item: SequenceScores) => normalizedLog2Ratio(item.log2L, item.log2G, item.nTokens);
  const idR = inDomain.map(ratio);
  const oodR = outOfDomain.map(ratio);
  const { T, targetFrr, targetEpsilonLog2 } = options;
  const k = kForTargetFrr(idR, targetFrr);
  const atK = rejectionRates(idR, oodR, k);
  const best = youdenBestK(idR, oodR);
  const kEps = targetEpsilonLog2 === undefined ? null : kForTargetEpsilon(outOfDomain, targetEpsilonLog2, T);
  const atEps = kEps === null ? undefined : rejectionRates(idR, oodR, kEps);
  return {
    auroc: auroc(idR, oodR),
    k,
    targetFrr,
    frr: atK.frr,
    oodRejection: atK.trr,
    domainCertificateLog2: domainCertificateLog2(outOfDomain, k, T),
    youden: { k: best.k, j: best.youdenJ, frr: best.frr, oodRejection: best.trr },
    kForTargetEpsilon: kEps,
    ...(targetEpsilonLog2 === undefined
      ? {}
      : { atTargetEpsilon: { log2Epsilon: targetEpsilonLog2, k: kEps, frr: atEps?.frr ?? null, oodRejection: atEps?.trr ?? null } }),
    T,
    ratios: { inDomain: idR, outOfDomain: oodR },
  };
}
