import { AdamW } from '../train/adamw';
import { learningRateAt } from '../train/lr-schedule';
import { SeededRng, shuffledIndices } from '../train/rng';
import { ensureTfBackend, tf } from '../train/tf-backend';
import { binaryAuroc } from './classifier-metrics';
import { ClassifierShape, ClassifierWeights, randomClassifierWeights } from './classifier-weights';
import { poolingMatrix, TextClassifierModel, tokenKeeper } from './text-classifier';

export interface EncodedExample {
  /** Token ids, already truncated to the model's max length. */
  ids: readonly number[];
  label: 0 | 1;
}

export interface ClassifierTrainHyperparameters {
  /** Upper bound; early stopping usually ends sooner (default 12). */
  maxEpochs: number;
  batchSize: number;
  /** Peak AdamW learning rate (linear warmup over `warmupSteps`, cosine to 10% at the last epoch). */
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  /** Probability of dropping each token from a training bag (a cheap regularizer for bag models). */
  tokenDropout: number;
  /** Weight examples by n / (2·n_class) so the minority class counts as much as the majority. */
  classWeighting: boolean;
  /** Validations per epoch. */
  evalsPerEpoch: number;
  /** Stop after this many validations without a better validation AUROC. */
  patience: number;
  seed: number;
}

export const DEFAULT_CLASSIFIER_HYPERPARAMETERS: ClassifierTrainHyperparameters = {
  maxEpochs: 12,
  batchSize: 64,
  learningRate: 3e-3,
  warmupSteps: 50,
  weightDecay: 1e-4,
  tokenDropout: 0.1,
  classWeighting: true,
  evalsPerEpoch: 2,
  patience: 4,
  seed: 0,
};

export interface ClassifierTrainProgress {
  epoch: number;
  step: number;
  /** Upper bound on steps (maxEpochs × steps per epoch). */
  maxSteps: number;
  /** Mean training loss since the previous report. */
  trainLoss: number;
  valLoss: number;
  valAuroc: number;
  lr: number;
  elapsedSec: number;
}

export interface TextClassifierTrainOptions extends Partial<ClassifierTrainHyperparameters> {
  shape: ClassifierShape;
  train: readonly EncodedExample[];
  validation: readonly EncodedExample[];
  initialWeights?: ClassifierWeights;
  onProgress?: (progress: ClassifierTrainProgress) => void;
  signal?: AbortSignal;
}

export interface TextClassifierTrainResult {
  /** The weights of the best validation AUROC. */
  weights: ClassifierWeights;
  history: ClassifierTrainProgress[];
  bestStep: number;
  bestValAuroc: number;
  steps: number;
  stopReason: 'max-epochs' | 'early-stopping' | 'aborted';
  wallTimeSec: number;
  backend: string;
  hyperparameters: ClassifierTrainHyperparameters;
}

/** Unweighted mean cross-entropy of P(positive) scores. */
function binaryCrossEntropy(probabilities: ArrayLike<number>, labels: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i], 1e-7), 1 - 1e-7);
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / Math.max(labels.length, 1);
}

/**
 * Trains the bag-of-embeddings classifier with AdamW on the tfjs wasm backend, validating
 * `evalsPerEpoch` times an epoch and keeping the weights with the best validation AUROC.
 * Deterministic for a given seed (batch order, token dropout and initialization are seeded).
 */
export async function trainTextClassifier(options: TextClassifierTrainOptions): Promise<TextClassifierTrainResult> {
  const hp: ClassifierTrainHyperparameters = { ...DEFAULT_CLASSIFIER_HYPERPARAMETERS };
  for (const key of Object.keys(hp) as (keyof ClassifierTrainHyperparameters)[]) {
    if (options[key] !== undefined) (hp as unknown as Record<string, unknown>)[key] = options[key];
  }
  const { shape, train, validation } = options;
  if (train.length === 0 || validation.length === 0) throw new Error('training needs train and validation examples');
  const backend = await ensureTfBackend();
  const started = Date.now();
  const rng = new SeededRng(hp.seed);
  const model = new TextClassifierModel(shape, options.initialWeights ?? randomClassifierWeights(shape, rng.nextSeed()));
  const optimizer = new AdamW(model.parameters, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: hp.weightDecay });
  const keep = tokenKeeper(hp.tokenDropout, rng);

  const positives = train.filter((e) => e.label === 1).length;
  const classWeight = hp.classWeighting && positives > 0 && positives < train.length
    ? [train.length / (2 * (train.length - positives)), train.length / (2 * positives)]
    : [1, 1];
  const stepsPerEpoch = Math.ceil(train.length / hp.batchSize);
  const maxSteps = stepsPerEpoch * hp.maxEpochs;
  const schedule = { learningRate: hp.learningRate, minLearningRate: hp.learningRate * 0.1, warmupSteps: hp.warmupSteps, totalSteps: maxSteps };
  const evalEvery = Math.max(1, Math.floor(stepsPerEpoch / Math.max(1, hp.evalsPerEpoch)));
  const valRows = validation.map((e) => e.ids);
  const valLabels = validation.map((e) => e.label);

  const history: ClassifierTrainProgress[] = [];
  let best = { auroc: -Infinity, step: 0, weights: model.getWeights() };
  let sinceBest = 0;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let stopReason: TextClassifierTrainResult['stopReason'] = 'max-epochs';
  try {
    training: for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      const order = shuffledIndices(train.length, rng);
      for (let start = 0; start < order.length; start += hp.batchSize) {
        if (options.signal?.aborted) {
          stopReason = 'aborted';
          break training;
        }
        const batch = order.slice(start, start + hp.batchSize).map((i) => train[i]);
        step++;
        const lr = learningRateAt(step, schedule);
        const pooling = poolingMatrix(batch.map((e) => e.ids), shape.vocabSize, keep);
        lossSum += tf.tidy(() => {
          const P = tf.tensor2d(pooling, [batch.length, shape.vocabSize]);
          const labels = batch.map((e) => e.label);
          const { value, grads } = tf.variableGrads(
            () => model.loss(P, labels, labels.map((y) => classWeight[y])),
            model.parameters.map((p) => p.variable),
          );
          const named: Record<string, tf.Tensor> = {};
          for (const p of model.parameters) named[p.name] = grads[p.variable.name];
          optimizer.apply(named, lr);
          return value.dataSync()[0];
        });
        lossCount++;
        const lastOfEpoch = start + hp.batchSize >= order.length;
        if (step % evalEvery !== 0 && !lastOfEpoch) continue;

        const { probabilities } = model.predictRows(valRows);
        const progress: ClassifierTrainProgress = {
          epoch,
          step,
          maxSteps,
          trainLoss: lossSum / lossCount,
          valLoss: binaryCrossEntropy(probabilities, valLabels),
          valAuroc: binaryAuroc(probabilities, valLabels),
          lr,
          elapsedSec: (Date.now() - started) / 1000,
        };
        lossSum = 0;
        lossCount = 0;
        history.push(progress);
        options.onProgress?.(progress);
        if (!Number.isFinite(progress.trainLoss)) throw new Error(`classifier training diverged at step ${step}`);
        if (progress.valAuroc > best.auroc + 1e-5) {
          best = { auroc: progress.valAuroc, step, weights: model.getWeights() };
          sinceBest = 0;
        } else if (++sinceBest >= hp.patience) {
          stopReason = 'early-stopping';
          break training;
        }
      }
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return {
    weights: best.weights,
    history,
    bestStep: best.step,
    bestValAuroc: best.auroc,
    steps: step,
    stopReason,
    wallTimeSec: (Date.now() - started) / 1000,
    backend,
    hyperparameters: hp,
  };
}
