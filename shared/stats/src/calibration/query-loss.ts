/**
 * The uncertainty query's probability and the calibration-tuning loss pieces (spec
 * shared/specs/calibration.md §2 and §3.1), with gradients with respect to the logits. Natural logarithms.
 *
 * - P(correct) = softmax([z_no, z_yes] / T)[1] = σ((z_yes − z_no) / T): the 2-way softmax over the option tokens
 *   "i" (no, label 0) and "ii" (yes, label 1); the rest of the vocabulary is ignored.
 * - q_loss = cross-entropy of that 2-way softmax against the correctness label (label smoothing 0).
 * - kl_loss = Jensen–Shannon divergence between the trainable model's next-token distribution p = softmax(z) and
 *   the frozen base model's p_ref = softmax(z_ref), ½·KL(p‖m) + ½·KL(p_ref‖m) with m = (p + p_ref)/2, summed over
 *   the gold answer's target positions and averaged over the batch. Which positions count is the caller's mask;
 *   the calibrator uses the exact per-row answer tokens (pitfall 1), not the reference's padded-length guess.
 * Everything is computed from log-softmax in float64, so no probability underflow makes a log infinite.
 */
import { logSigmoid, sigmoid } from '../nn/logistic';

/** P(correct) from the two option-token logits (§2), optionally temperature-scaled. */
export function pCorrectFromOptionLogits(zNo: number, zYes: number, temperature = 1): number {
  if (!Number.isFinite(zNo) || !Number.isFinite(zYes)) throw new RangeError(`option logits must be finite, got ${zNo}, ${zYes}`);
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  return sigmoid((zYes - zNo) / temperature);
}

export interface QueryCrossEntropy {
  loss: number;
  /** ∂loss/∂z_no and ∂loss/∂z_yes. */
  dNo: number;
  dYes: number;
}

/** CE of the 2-way softmax against `label` (1 = the answer was correct): −log softmax(z)[label]. */
export function queryCrossEntropy(zNo: number, zYes: number, label: number): QueryCrossEntropy {
  if (label !== 0 && label !== 1) throw new RangeError(`label must be 0 or 1, got ${label}`);
  const margin = zYes - zNo;
  const p = sigmoid(margin);
  // −log σ(margin) for label 1, −log σ(−margin) for label 0; gradient softmax − one-hot.
  const loss = label === 1 ? -logSigmoid(margin) : -logSigmoid(-margin);
  return { loss, dNo: label - p, dYes: p - label };
}

/** log-softmax of z into out (float64). */
function logSoftmax(z: ArrayLike<number>, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i] > max) max = z[i];
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.exp(z[i] - max);
  const lse = max + Math.log(s);
  for (let i = 0; i < z.length; i++) out[i] = z[i] - lse;
}

export interface JensenShannon {
  /** JSD(p ‖ p_ref) in nats, in [0, log 2]. */
  value: number;
  /** ∂JSD/∂z for the trainable logits z (p_ref is a constant). */
  grad: Float64Array;
}

/**
 * Jensen–Shannon divergence between softmax(logits) and softmax(refLogits), with its gradient in `logits`.
 * ∂JSD/∂p_i = ½·log(p_i / m_i), then through the softmax: ∂/∂z_j = p_j·(g_j − Σ_i p_i·g_i).
 */
export function jensenShannonToReference(logits: ArrayLike<number>, refLogits: ArrayLike<number>): JensenShannon {
  const n = logits.length;
  if (refLogits.length !== n || n === 0) throw new RangeError(`logits (${n}) and refLogits (${refLogits.length}) must have the same non-zero length`);
  const lp = new Float64Array(n);
  const lq = new Float64Array(n);
  logSoftmax(logits, lp);
  logSoftmax(refLogits, lq);
  const g = new Float64Array(n);
  let value = 0;
  let pg = 0;
  for (let i = 0; i < n; i++) {
    const a = lp[i];
    const b = lq[i];
    const hi = a > b ? a : b;
    const lm = hi + Math.log1p(Math.exp(-Math.abs(a - b))) - Math.LN2; // log((p + q)/2)
    const p = Math.exp(a);
    const q = Math.exp(b);
    value += 0.5 * (p * (a - lm) + q * (b - lm));
    g[i] = 0.5 * (a - lm);
    pg += p * g[i];
  }
  for (let i = 0; i < n; i++) g[i] = Math.exp(lp[i]) * (g[i] - pg);
  return { value: Math.max(0, value), grad: g };
}

export interface CalibrationTuningExample {
  /** Option-token logits of the query at its last position, and the correctness label. */
  query: { zNo: number; zYes: number; label: number };
  /** Full-vocabulary logits of the trainable and the base model at each masked target position of the gold answer. */
  gold: { logits: ReadonlyArray<ArrayLike<number>>; refLogits: ReadonlyArray<ArrayLike<number>> };
}

export interface CalibrationTuningLoss {
  /** queryLoss + klWeight·klLoss. */
  loss: number;
  /** Batch mean of the query cross-entropy. */
  queryLoss: number;
  /** Batch mean of the per-example sum of JSD over target positions. */
  klLoss: number;
  /** Per example: ∂loss/∂[z_no, z_yes]. */
  queryGrads: Array<[number, number]>;
  /** Per example, per position: ∂loss/∂logits. */
  goldGrads: Float64Array[][];
}

/** The CT-Query objective of §3.1 over a batch: mean CE + klWeight · mean over examples of Σ_positions JSD. */
export function calibrationTuningLoss(batch: readonly CalibrationTuningExample[], klWeight = 1): CalibrationTuningLoss {
  const n = batch.length;
  if (n === 0) throw new RangeError('calibration tuning loss of an empty batch');
  if (!(klWeight >= 0)) throw new RangeError(`klWeight must be >= 0, got ${klWeight}`);
  let queryLoss = 0;
  let klLoss = 0;
  const queryGrads: Array<[number, number]> = [];
  const goldGrads: Float64Array[][] = [];
  for (const example of batch) {
    const ce = queryCrossEntropy(example.query.zNo, example.query.zYes, example.query.label);
    queryLoss += ce.loss / n;
    queryGrads.push([ce.dNo / n, ce.dYes / n]);
    const { logits, refLogits } = example.gold;
    if (logits.length !== refLogits.length) throw new RangeError(`${logits.length} gold positions but ${refLogits.length} reference positions`);
    goldGrads.push(
      logits.map((z, t) => {
        const jsd = jensenShannonToReference(z, refLogits[t]);
        klLoss += jsd.value / n;
        for (let i = 0; i < jsd.grad.length; i++) jsd.grad[i] *= klWeight / n;
        return jsd.grad;
      }),
    );
  }
  return { loss: queryLoss + klWeight * klLoss, queryLoss, klLoss, queryGrads, goldGrads };
}
