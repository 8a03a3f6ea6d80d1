/**
 * The Direct Preference Head objectives of spec shared/specs/dph.md §2, with gradients with respect to the
 * rewards. r_w = reward of the chosen answer, r_l = of the rejected one; ε ∈ [0, ½] is label smoothing; σ is the
 * logistic function; E is the batch mean. Computed in float64 (pitfall 5: compute losses in fp32 or wider).
 *
 * Separable (SepDPH, the default), two BCE terms with soft targets, each batch-averaged, then summed:
 *   L_sep = E[−(1−ε)·log σ(r_w) − ε·log σ(−r_w)] + E[−(1−ε)·log σ(−r_l) − ε·log σ(r_l)]
 *   ∂L/∂r_w,i = (σ(r_w,i) − (1 − ε)) / n,   ∂L/∂r_l,i = (σ(r_l,i) − ε) / n.
 *   Stationary at r_w = +Λ, r_l = −Λ, Λ = log((1 − ε)/ε).
 * Contrastive (ConDPH), on Δ = r_w − r_l:
 *   L_con = E[−(1−ε)·log σ(Δ) − ε·log σ(−Δ)],   ∂L/∂r_w,i = −∂L/∂r_l,i = (σ(Δ_i) − (1 − ε)) / n.
 * At ε = 0 both are the plain logistic losses −log σ(r_w) − log σ(−r_l) and −log σ(r_w − r_l).
 */
import { logSigmoid, sigmoid } from '../nn/logistic';

export type DphLossKind = 'separable' | 'contrastive';

export interface DphLoss {
  loss: number;
  /** ∂loss/∂r_w and ∂loss/∂r_l per pair. */
  dChosen: Float64Array;
  dRejected: Float64Array;
}

function check(chosen: ArrayLike<number>, rejected: ArrayLike<number>, epsilon: number): void {
  if (chosen.length !== rejected.length) throw new RangeError(`${chosen.length} chosen rewards for ${rejected.length} rejected`);
  if (chosen.length === 0) throw new RangeError('DPH loss of an empty batch');
  if (!(epsilon >= 0 && epsilon <= 0.5)) throw new RangeError(`label smoothing ε must lie in [0, 0.5], got ${epsilon}`);
  for (let i = 0; i < chosen.length; i++) {
    if (!Number.isFinite(chosen[i]) || !Number.isFinite(rejected[i])) throw new RangeError(`reward pair ${i} is not finite`);
  }
}

/** Label-smoothed BCE with logits, −(1−ε)·log σ(x) − ε·log σ(−x), skipping a term whose weight is 0. */
function smoothedBce(x: number, epsilon: number): number {
  return -(1 - epsilon) * logSigmoid(x) - (epsilon === 0 ? 0 : epsilon * logSigmoid(-x));
}

export function separableDphLoss(chosen: ArrayLike<number>, rejected: ArrayLike<number>, epsilon = 0.1): DphLoss {
  check(chosen, rejected, epsilon);
  const n = chosen.length;
  const dChosen = new Float64Array(n);
  const dRejected = new Float64Array(n);
  let lossChosen = 0;
  let lossRejected = 0;
  for (let i = 0; i < n; i++) {
    lossChosen += smoothedBce(chosen[i], epsilon);
    lossRejected += smoothedBce(-rejected[i], epsilon); // target ε on r_l ⇔ target 1 − ε on −r_l
    dChosen[i] = (sigmoid(chosen[i]) - (1 - epsilon)) / n;
    dRejected[i] = (sigmoid(rejected[i]) - epsilon) / n;
  }
  return { loss: lossChosen / n + lossRejected / n, dChosen, dRejected };
}

export function contrastiveDphLoss(chosen: ArrayLike<number>, rejected: ArrayLike<number>, epsilon = 0.1): DphLoss {
  check(chosen, rejected, epsilon);
  const n = chosen.length;
  const dChosen = new Float64Array(n);
  const dRejected = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const delta = chosen[i] - rejected[i];
    loss += smoothedBce(delta, epsilon);
    const d = (sigmoid(delta) - (1 - epsilon)) / n;
    dChosen[i] = d;
    dRejected[i] = -d;
  }
  return { loss: loss / n, dChosen, dRejected };
}

export function dphLoss(kind: DphLossKind, chosen: ArrayLike<number>, rejected: ArrayLike<number>, epsilon = 0.1): DphLoss {
  return kind === 'separable' ? separableDphLoss(chosen, rejected, epsilon) : contrastiveDphLoss(chosen, rejected, epsilon);
}

/** The separable head's anchored optimum Λ = log((1 − ε)/ε): r_w → +Λ, r_l → −Λ (∞ at ε = 0). */
export function separableRewardAnchor(epsilon: number): number {
  if (!(epsilon >= 0 && epsilon <= 0.5)) throw new RangeError(`label smoothing ε must lie in [0, 0.5], got ${epsilon}`);
  return Math.log((1 - epsilon) / epsilon);
}
