/**
 * Trains a reward head on cached end-of-turn hidden states of a frozen backbone (spec dph.md §7, the
 * `instruct_align_wrapped.py` recipe without the LM): AdamW minibatches on the separable or contrastive loss with
 * label smoothing, head weight decay toward 0 (`dph_weight_decay` 0.1), validation after every epoch, early
 * stopping on the validation loss with the best epoch's weights kept. Seeded and deterministic.
 */
import { Adam } from '../nn/adam';
import { runWithEarlyStopping } from '../nn/early-stopping';
import { Rng } from '../rng';
import { DphLossKind, dphLoss } from './losses';
import { pairwiseAccuracy } from './metrics';
import { PoolerKind, RewardHead } from './reward-head';

export interface PreferenceFeatures {
  /** Hidden state at the end of the chosen answer's assistant turn, one per pair. */
  chosen: ReadonlyArray<ArrayLike<number>>;
  rejected: ReadonlyArray<ArrayLike<number>>;
}

export interface HeadTrainingOptions {
  pooler?: PoolerKind;
  loss?: DphLossKind;
  /** Label smoothing ε (spec default 0.1). */
  epsilon?: number;
  learningRate?: number;
  /** AdamW decoupled decay toward 0 on pooler and head (spec 0.1). */
  weightDecay?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
  seed?: number | string;
  onEpoch?: (epoch: HeadEpoch) => void;
}

export interface HeadEpoch {
  epoch: number;
  trainLoss: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
}

export interface HeadTrainingResult {
  head: RewardHead;
  epochs: number;
  bestEpoch: number;
  history: HeadEpoch[];
}

/** Loss of the head on all pairs (no gradient). */
export function headLoss(head: RewardHead, pairs: PreferenceFeatures, kind: DphLossKind, epsilon: number): number {
  return dphLoss(kind, head.rewards(pairs.chosen), head.rewards(pairs.rejected), epsilon).loss;
}

function checkPairs(pairs: PreferenceFeatures, what: string, dim: number): void {
  if (pairs.chosen.length !== pairs.rejected.length) throw new RangeError(`${what}: ${pairs.chosen.length} chosen for ${pairs.rejected.length} rejected`);
  for (const side of [pairs.chosen, pairs.rejected]) {
    for (let i = 0; i < side.length; i++) {
      const x = side[i];
      if (x.length !== dim) throw new RangeError(`${what}: feature vector ${i} has ${x.length} entries, expected ${dim}`);
      for (let j = 0; j < dim; j++) if (!Number.isFinite(x[j])) throw new RangeError(`${what}: feature ${i}[${j}] is not finite`);
    }
  }
}

export function trainRewardHead(train: PreferenceFeatures, validation: PreferenceFeatures | null, options: HeadTrainingOptions = {}): HeadTrainingResult {
  const n = train.chosen.length;
  if (n === 0) throw new RangeError('reward head training needs at least one pair');
  const dim = train.chosen[0].length;
  checkPairs(train, 'train', dim);
  const hasValidation = validation !== null && validation.chosen.length > 0;
  if (validation) checkPairs(validation, 'validation', dim);
  const { pooler = 'identity', loss = 'separable', epsilon = 0.1, learningRate = 1e-3, weightDecay = 0.1, batchSize = 32, maxEpochs = 100, patience = 5 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  const rng = new Rng(options.seed ?? 0);
  const head = RewardHead.create(dim, pooler, rng);
  const adam = new Adam(head.params.length, { weightDecay });
  const order = Array.from({ length: n }, (_, i) => i);
  const rw = new Float64Array(batchSize);
  const rl = new Float64Array(batchSize);
  const runEpoch = (epoch: number): HeadEpoch => {
    rng.shuffle(order);
    let trainLoss = 0;
    for (let from = 0; from < n; from += batchSize) {
      const m = Math.min(n, from + batchSize) - from;
      for (let k = 0; k < m; k++) {
        rw[k] = head.reward(train.chosen[order[from + k]]);
        rl[k] = head.reward(train.rejected[order[from + k]]);
      }
      const out = dphLoss(loss, rw.subarray(0, m), rl.subarray(0, m), epsilon);
      trainLoss += out.loss * m;
      head.grad.fill(0);
      for (let k = 0; k < m; k++) {
        head.accumulateGradient(train.chosen[order[from + k]], out.dChosen[k]);
        head.accumulateGradient(train.rejected[order[from + k]], out.dRejected[k]);
      }
      adam.step(head.params, head.grad, learningRate);
    }
    if (!hasValidation) return { epoch, trainLoss: trainLoss / n, validationLoss: null, validationAccuracy: null };
    const vw = head.rewards(validation!.chosen);
    const vl = head.rewards(validation!.rejected);
    return { epoch, trainLoss: trainLoss / n, validationLoss: dphLoss(loss, vw, vl, epsilon).loss, validationAccuracy: pairwiseAccuracy(vw, vl).estimate };
  };
  const { history, bestEpoch } = runWithEarlyStopping(head.params, maxEpochs, patience, runEpoch, options.onEpoch);
  return { head, epochs: history.length, bestEpoch, history };
}
