import { tokenizerVocabSize } from '../tokenizer/tokenizer-json';
import { binaryAuroc, balancedThreshold, metricsAtThreshold, ThresholdMetrics } from './classifier-metrics';
import { classifierModelDirFiles, CLASSIFIER_MODEL_TYPE, exportClassifierModelDir, TOXICITY_LABELS } from './classifier-model-dir';
import { ClassifierTextEncoder, ClassifierTokenizerJson, trainClassifierTokenizer } from './classifier-tokenizer';
import { classifierParameterCount, ClassifierShape, ClassifierWeights } from './classifier-weights';
import { TextClassifierModel } from './text-classifier';
import { ClassifierTrainHyperparameters, ClassifierTrainProgress, EncodedExample, trainTextClassifier } from './text-classifier-trainer';
import { balanceByLabel, BalanceMode, countBySourceAndLabel, splitToxicityExamples, ToxicityExample, ToxicitySplits } from './toxicity-data';

export interface TrainToxicityClassifierOptions {
  examples: readonly ToxicityExample[];
  /** BPE vocabulary size including the two special tokens (default 4096). */
  vocabSize?: number;
  /** Embedding width (default 64). */
  dim?: number;
  /** ReLU hidden width (default 64). */
  hidden?: number;
  /** Maximum epochs; early stopping on validation AUROC may end sooner (default 12). */
  epochs?: number;
  /** Tokens kept per text (default 128). */
  maxLength?: number;
  seed?: number;
  validationFraction?: number;
  testFraction?: number;
  /** Rebalance the training split only ('none' by default; class weighting is on either way). */
  balance?: BalanceMode | 'none';
  lowercase?: boolean;
  /** Further trainer settings (batch size, learning rate, ...). */
  training?: Partial<Omit<ClassifierTrainHyperparameters, 'maxEpochs' | 'seed'>>;
  onProgress?: (progress: ClassifierTrainProgress) => void;
  signal?: AbortSignal;
}

export interface SplitMetrics extends ThresholdMetrics {
  n: number;
  positives: number;
  /** null when the split holds a single class. */
  auroc: number | null;
  /** Accuracy of the plain argmax rule (threshold 0.5). */
  accuracyAtHalf: number;
}

export interface ToxicityClassifierReport {
  model_type: typeof CLASSIFIER_MODEL_TYPE;
  labels: string[];
  seed: number;
  shape: ClassifierShape;
  parameters: number;
  max_length: number;
  sizes: { train: number; validation: number; test: number };
  counts: Record<'train' | 'validation' | 'test', Record<string, { toxic: number; nonToxic: number }>>;
  /** Chosen on validation (max balanced accuracy), applied unchanged to test. */
  threshold: number;
  validation: SplitMetrics;
  test: SplitMetrics;
  test_by_source: Record<string, SplitMetrics>;
  timing_sec: { tokenizer: number; encode: number; training: number; evaluation: number; total: number };
  training: {
    backend: string;
    steps: number;
    best_step: number;
    best_val_auroc: number;
    stop_reason: string;
    hyperparameters: ClassifierTrainHyperparameters;
    history: ClassifierTrainProgress[];
  };
  split_policy: string;
}

export interface TrainedToxicityClassifier {
  weights: ClassifierWeights;
  tokenizer: ClassifierTokenizerJson;
  encoder: ClassifierTextEncoder;
  splits: ToxicitySplits;
  report: ToxicityClassifierReport;
  /** The model directory's files (model.onnx, config.json, tokenizer.json, tokenizer_config.json, report.json). */
  modelDirFiles(): Record<string, Uint8Array | string>;
  writeModelDir(outDir: string): Promise<string[]>;
}

function splitMetrics(probabilities: ArrayLike<number>, labels: readonly number[], threshold: number): SplitMetrics {
  const auroc = binaryAuroc(probabilities, labels);
  return {
    n: labels.length,
    positives: labels.filter((y) => y === 1).length,
    auroc: Number.isFinite(auroc) ? auroc : null,
    accuracyAtHalf: metricsAtThreshold(probabilities, labels, 0.5).accuracy,
    ...metricsAtThreshold(probabilities, labels, threshold),
  };
}

/**
 * The whole recipe: seeded stratified split (HateCheck templates kept whole), BPE tokenizer
 * trained on the training texts, bag-of-embeddings classifier trained with early stopping on
 * validation AUROC, threshold picked on validation, metrics on the untouched test split.
 */
export async function trainToxicityClassifier(options: TrainToxicityClassifierOptions): Promise<TrainedToxicityClassifier> {
  const started = Date.now();
  const seed = options.seed ?? 0;
  const maxLength = options.maxLength ?? 128;
  const clock = (): number => Date.now();
  const since = (t: number): number => (clock() - t) / 1000;

  const splits = splitToxicityExamples(options.examples, { seed, validationFraction: options.validationFraction, testFraction: options.testFraction });
  const balance = options.balance ?? 'none';
  const trainSet = balance === 'none' ? splits.train : balanceByLabel(splits.train, balance, seed + 1);

  let t = clock();
  const tokenizer = trainClassifierTokenizer({ texts: splits.train.map((e) => e.text), vocabSize: options.vocabSize ?? 4096, lowercase: options.lowercase });
  const tokenizerSec = since(t);
  t = clock();
  const encoder = new ClassifierTextEncoder(tokenizer, maxLength);
  const encode = (examples: readonly ToxicityExample[]): EncodedExample[] => examples.map((e) => ({ ids: encoder.encode(e.text), label: e.label }));
  const [train, validation, test] = [encode(trainSet), encode(splits.validation), encode(splits.test)];
  const encodeSec = since(t);

  const shape: ClassifierShape = { vocabSize: tokenizerVocabSize({ ...tokenizer, normalizer: null }), dim: options.dim ?? 64, hidden: options.hidden ?? 64 };
  const result = await trainTextClassifier({
    ...options.training,
    shape,
    train,
    validation,
    maxEpochs: options.epochs ?? 12,
    seed,
    onProgress: options.onProgress,
    signal: options.signal,
  });

  t = clock();
  const model = new TextClassifierModel(shape, result.weights);
  let valProbs: Float32Array;
  let testProbs: Float32Array;
  try {
    valProbs = model.predictRows(validation.map((e) => e.ids)).probabilities;
    testProbs = model.predictRows(test.map((e) => e.ids)).probabilities;
  } finally {
    model.dispose();
  }
  const valLabels = validation.map((e) => e.label);
  const testLabels = test.map((e) => e.label);
  const threshold = balancedThreshold(valProbs, valLabels);
  const testBySource: Record<string, SplitMetrics> = {};
  for (const source of [...new Set(splits.test.map((e) => e.source))]) {
    const idx = splits.test.map((e, i) => (e.source === source ? i : -1)).filter((i) => i >= 0);
    testBySource[source] = splitMetrics(idx.map((i) => testProbs[i]), idx.map((i) => testLabels[i]), threshold);
  }
  const report: ToxicityClassifierReport = {
    model_type: CLASSIFIER_MODEL_TYPE,
    labels: [...TOXICITY_LABELS],
    seed,
    shape,
    parameters: classifierParameterCount(shape),
    max_length: maxLength,
    sizes: { train: train.length, validation: validation.length, test: test.length },
    counts: { train: countBySourceAndLabel(trainSet), validation: countBySourceAndLabel(splits.validation), test: countBySourceAndLabel(splits.test) },
    threshold,
    validation: splitMetrics(valProbs, valLabels, threshold),
    test: splitMetrics(testProbs, testLabels, threshold),
    test_by_source: testBySource,
    timing_sec: { tokenizer: tokenizerSec, encode: encodeSec, training: result.wallTimeSec, evaluation: since(t), total: since(started) },
    training: {
      backend: result.backend,
      steps: result.steps,
      best_step: result.bestStep,
      best_val_auroc: result.bestValAuroc,
      stop_reason: result.stopReason,
      hyperparameters: result.hyperparameters,
      history: result.history,
    },
    split_policy: `seeded (${seed}) stratified by source×label; HateCheck templates and duplicate ToxiGen texts never cross splits; tokenizer trained on the train split only`,
  };
  const meta = { maxLength, padTokenId: encoder.padId, threshold, report };
  return {
    weights: result.weights,
    tokenizer,
    encoder,
    splits,
    report,
    modelDirFiles: () => classifierModelDirFiles(result.weights, tokenizer, meta),
    writeModelDir: (outDir: string) => exportClassifierModelDir(result.weights, tokenizer, outDir, meta),
  };
}
