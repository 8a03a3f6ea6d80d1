/**
 * The VALID separation summary (spec shared/specs/valid.md §4), composed once for every caller (the certifier's
 * evaluation job, forge's domain-pair recipes, the acceptance test): how well the normalised ratio
 * r = (log2 L − log2 G) / N_y separates in-domain (ID) from out-of-domain (OOD) responses, at the k of a target FRR.
 * Pure; the callers drop unscorable items first, each by its own rule.
 *
 * **Held out.** k is a threshold fitted to data, so FRR, OOD rejection, Youden's J and the domain certificate
 * measured on the data that chose k are optimistic (the FRR at k is the target by construction). Each set is split
 * (stratified, seeded) into a calibration part, which chooses every k, and a held-out part, on which every headline
 * figure is measured. The figures on all the data are kept under `inSample`, labelled so.
 */
import { auroc, domainCertificateLog2, kForTargetEpsilon, kForTargetFrr, rejectionRates, youdenBestK } from './valid-eval';
import { normalizedLog2Ratio, SequenceScores } from './valid';
import { Rng } from './rng';

export interface SeparationOptions {
  /** In-domain false-rejection rate that fixes k (the paper's main setting is 0.1). */
  targetFrr: number;
  /** VALID's number of sampling rounds; enters only the certificate, as + log2 T. */
  T: number;
  /** Also find the k whose domain certificate on the (calibration) OOD set is this log2 ε. */
  targetEpsilonLog2?: number;
  /** Share of each set that calibrates k (default ½); the rest is held out. */
  calibrationFraction?: number;
  /** Seed of the random split (default 0). */
  splitSeed?: number | string;
  /** An explicit split instead: indices (into each set) of the calibration items; every other item is held out. */
  calibration?: { inDomain: readonly number[]; outOfDomain: readonly number[] };
}

/** Figures of one rule "reject r > k" measured on one part of the data. */
export interface OperatingPoint {
  k: number;
  frr: number;
  oodRejection: number;
  /** Youden's J = oodRejection − frr. */
  j: number;
  /** log2 ε-DC at k: max over the part's OOD items of k·N_y + log2 T + log2 G(y). */
  domainCertificateLog2: number;
}

export interface SeparationSummary {
  evaluation: 'held-out';
  split: {
    calibrationFraction: number;
    seed: number | string | null;
    calibration: { inDomain: number; outOfDomain: number };
    heldOut: { inDomain: number; outOfDomain: number };
  };
  /** P(r_OOD > r_ID) on the held-out part (AUROC needs no threshold, but stays on the same items as the rest). */
  auroc: number;
  /** k (bits per token) for the target FRR, chosen on the calibration part (conformal rank, see kForFrrConformal). */
  k: number;
  targetFrr: number;
  /** Held-out ID false-rejection rate at k: an unbiased estimate of the FRR on new in-domain text. */
  frr: number;
  /** Held-out fraction of OOD responses rejected at k. */
  oodRejection: number;
  /** Held-out log2 ε-DC at k. */
  domainCertificateLog2: number;
  /** The k maximising J on the calibration part, with its held-out figures. */
  youden: { k: number; j: number; frr: number; oodRejection: number };
  /** null when no targetEpsilonLog2 was asked for, or no k in [−100, 100] certifies it on the calibration OOD. */
  kForTargetEpsilon: number | null;
  /** At kForTargetEpsilon: held-out FRR, OOD rejection and ε-DC (the ε reached on held-out OOD, may exceed the target). */
  atTargetEpsilon?: { log2Epsilon: number; k: number | null; frr: number | null; oodRejection: number | null; domainCertificateLog2: number | null };
  /**
   * Chosen and measured on all the data, k by the spec's rule (the (1 − FRR) quantile of all ID ratios): what this
   * summary reported before it held data out. Optimistic (its FRR is the target by construction); for comparison only.
   */
  inSample: { auroc: number; operatingPoint: OperatingPoint; youden: OperatingPoint; kForTargetEpsilon: number | null };
  T: number;
  /** The normalised ratios of all items, in input order. */
  ratios: { inDomain: number[]; outOfDomain: number[] };
  /** Indices (into each set) of the held-out items. */
  heldOut: { inDomain: number[]; outOfDomain: number[] };
}

/**
 * k for a target FRR from calibration ratios, by conformal rank: the ⌈(n + 1)(1 − FRR)⌉-th smallest ratio. For a new
 * in-domain item exchangeable with the calibration items, P(r > k) ≤ FRR (ties aside), the finite-sample version of
 * the spec's (1 − FRR) quantile. When that rank exceeds n the largest ratio is used (then P(r > k) ≤ 1/(n + 1)).
 */
export function kForFrrConformal(calibrationRatios: readonly number[], targetFrr: number): number {
  if (!(targetFrr >= 0 && targetFrr <= 1)) throw new RangeError(`targetFrr must lie in [0, 1], got ${targetFrr}`);
  if (calibrationRatios.length === 0) throw new RangeError('k needs at least one calibration ratio');
  const sorted = [...calibrationRatios].sort((a, b) => a - b);
  if (!sorted.every(Number.isFinite)) throw new RangeError('calibration ratios must be finite');
  const rank = Math.ceil((sorted.length + 1) * (1 - targetFrr) - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function splitIndices(n: number, fraction: number, rng: Rng, what: string): number[] {
  const calibration = Math.round(n * fraction);
  if (calibration < 1 || calibration > n - 1) throw new RangeError(`a held-out evaluation needs at least 2 ${what} items (one to calibrate, one held out); got ${n}`);
  return rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, calibration).sort((a, b) => a - b);
}

function operatingPoint<I extends SequenceScores>(idR: readonly number[], oodR: readonly number[], ood: readonly I[], k: number, T: number): OperatingPoint {
  const rates = rejectionRates(idR, oodR, k);
  return { k, frr: rates.frr, oodRejection: rates.trr, j: rates.youdenJ, domainCertificateLog2: domainCertificateLog2(ood, k, T) };
}

export function separationSummary(inDomain: readonly SequenceScores[], outOfDomain: readonly SequenceScores[], options: SeparationOptions): SeparationSummary {
  if (inDomain.length === 0 || outOfDomain.length === 0) {
    throw new RangeError(`a separation summary needs in-domain and out-of-domain items; got ${inDomain.length} and ${outOfDomain.length}`);
  }
  const { T, targetFrr, targetEpsilonLog2, calibrationFraction = 0.5, splitSeed = 0 } = options;
  const ratio = (item: SequenceScores) => normalizedLog2Ratio(item.log2L, item.log2G, item.nTokens);
  const idR = inDomain.map(ratio);
  const oodR = outOfDomain.map(ratio);

  const rng = new Rng(`valid-split:${splitSeed}`);
  const calibration = options.calibration ?? {
    inDomain: splitIndices(inDomain.length, calibrationFraction, rng, 'in-domain'),
    outOfDomain: splitIndices(outOfDomain.length, calibrationFraction, rng, 'out-of-domain'),
  };
  const parts = (n: number, chosen: readonly number[], what: string) => {
    const inCalibration = new Set(chosen);
    if (chosen.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) throw new RangeError(`calibration indices of the ${what} set must lie in [0, ${n})`);
    const held = Array.from({ length: n }, (_, i) => i).filter((i) => !inCalibration.has(i));
    if (inCalibration.size === 0 || held.length === 0) throw new RangeError(`the ${what} set needs calibration and held-out items`);
    return { calibration: [...inCalibration].sort((a, b) => a - b), heldOut: held };
  };
  const id = parts(inDomain.length, calibration.inDomain, 'in-domain');
  const ood = parts(outOfDomain.length, calibration.outOfDomain, 'out-of-domain');
  const pick = <V>(values: readonly V[], indices: readonly number[]) => indices.map((i) => values[i]);
  const cal = { idR: pick(idR, id.calibration), oodR: pick(oodR, ood.calibration), ood: pick(outOfDomain, ood.calibration) };
  const held = { idR: pick(idR, id.heldOut), oodR: pick(oodR, ood.heldOut), ood: pick(outOfDomain, ood.heldOut) };

  const k = kForFrrConformal(cal.idR, targetFrr);
  const atK = operatingPoint(held.idR, held.oodR, held.ood, k, T);
  const youdenK = youdenBestK(cal.idR, cal.oodR).k;
  const atYouden = operatingPoint(held.idR, held.oodR, held.ood, youdenK, T);
  const kEps = targetEpsilonLog2 === undefined ? null : kForTargetEpsilon(cal.ood, targetEpsilonLog2, T);
  const atEps = kEps === null ? undefined : operatingPoint(held.idR, held.oodR, held.ood, kEps, T);

  const allOod = [...outOfDomain];
  const inSampleK = kForTargetFrr(idR, targetFrr);
  const inSampleYouden = youdenBestK(idR, oodR).k;
  return {
    evaluation: 'held-out',
    split: {
      calibrationFraction: options.calibration ? id.calibration.length / inDomain.length : calibrationFraction,
      seed: options.calibration ? null : splitSeed,
      calibration: { inDomain: id.calibration.length, outOfDomain: ood.calibration.length },
      heldOut: { inDomain: id.heldOut.length, outOfDomain: ood.heldOut.length },
    },
    auroc: auroc(held.idR, held.oodR),
    k,
    targetFrr,
    frr: atK.frr,
    oodRejection: atK.oodRejection,
    domainCertificateLog2: atK.domainCertificateLog2,
    youden: { k: youdenK, j: atYouden.j, frr: atYouden.frr, oodRejection: atYouden.oodRejection },
    kForTargetEpsilon: kEps,
    ...(targetEpsilonLog2 === undefined
      ? {}
      : {
          atTargetEpsilon: {
            log2Epsilon: targetEpsilonLog2,
            k: kEps,
            frr: atEps?.frr ?? null,
            oodRejection: atEps?.oodRejection ?? null,
            domainCertificateLog2: atEps?.domainCertificateLog2 ?? null,
          },
        }),
    inSample: {
      auroc: auroc(idR, oodR),
      operatingPoint: operatingPoint(idR, oodR, allOod, inSampleK, T),
      youden: operatingPoint(idR, oodR, allOod, inSampleYouden, T),
      kForTargetEpsilon: targetEpsilonLog2 === undefined ? null : kForTargetEpsilon(allOod, targetEpsilonLog2, T),
    },
    T,
    ratios: { inDomain: idR, outOfDomain: oodR },
    heldOut: { inDomain: id.heldOut, outOfDomain: ood.heldOut },
  };
}
