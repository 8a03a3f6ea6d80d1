import type { LmBatch, LmEngine, ParamValues } from './engine/engine-types';
import type { SeededRng } from './rng';
import { buildTokenStream, evaluationWindows, sampleWindows, splitExamples, streamFingerprint } from './token-stream';
import type { TrainHyperparameters, TrainLmOptions } from './train-types';

/** Where a run's batches and its validation loss come from. */
export interface TrainingData {
  fingerprint: string;
  trainTokens: number;
  valTokens: number;
  tokensPerBatch: number;
  hasValidation: boolean;
  nextBatch(step: number, rng: SeededRng): LmBatch;
  /** A custom objective's step; undefined for next-token cross-entropy. */
  loss?: NonNullable<TrainLmOptions<unknown, unknown>['objective']>['loss'];
  /** Mean validation loss of `values`, null without validation data. */
  validate(engine: LmEngine, values: ParamValues): Promise<number | null>;
}

function checkTokenRange(stream: Int32Array, vocabSize: number, what: string): void {
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] < 0 || stream[i] >= vocabSize) throw new Error(`${what}: token id ${stream[i]} outside vocab of ${vocabSize}`);
  }
}

/** Next-token prediction on random windows of the examples laid end to end (BOS + tokens + EOS each). */
function streamData(options: TrainLmOptions<unknown, unknown>, hp: TrainHyperparameters, vocabSize: number, contextLength: number): TrainingData {
  if (!options.examples) throw new Error('training needs examples (or a custom objective)');
  if (options.bosId === undefined || options.eosId === undefined) throw new Error('training on examples needs bosId and eosId');
  const special = { bosId: options.bosId, eosId: options.eosId };
  const split = options.validationExamples
    ? { train: [...options.examples], validation: [...options.validationExamples] }
    : splitExamples(options.examples, options.valFraction ?? 0.1, hp.seed);
  const trainStream = buildTokenStream(split.train, special);
  const valStream = buildTokenStream(split.validation, special);
  checkTokenRange(trainStream, vocabSize, 'training data');
  checkTokenRange(valStream, vocabSize, 'validation data');
  if (trainStream.length < contextLength + 1) {
    throw new Error(`training stream has ${trainStream.length} tokens; one window needs ${contextLength + 1}`);
  }
  const windows = evaluationWindows(valStream, contextLength, hp.evalWindows);
  const B = hp.batchSize;
  return {
    fingerprint: `${streamFingerprint(trainStream)}/${streamFingerprint(valStream)}`,
    trainTokens: trainStream.length,
    valTokens: valStream.length,
    tokensPerBatch: B * contextLength,
    hasValidation: windows.count > 0,
    nextBatch: (_step, rng) => {
      const w = sampleWindows(trainStream, B, contextLength, rng);
      return { inputs: w.inputs, targets: w.targets, count: B, length: contextLength };
    },
    async validate(engine, values) {
      if (windows.count === 0) return null;
      const L = windows.length;
      let total = 0;
      // Fixed batch shape (one compiled graph): the last batch is padded with copies of window 0, not counted.
      for (let start = 0; start < windows.count; start += B) {
        const n = Math.min(B, windows.count - start);
        const inputs = new Int32Array(B * L);
        const targets = new Int32Array(B * L);
        inputs.set(windows.inputs.subarray(start * L, (start + n) * L));
        targets.set(windows.targets.subarray(start * L, (start + n) * L));
        const losses = await engine.tokenLosses(values, { inputs, targets, count: B, length: L });
        for (let i = 0; i < n * L; i++) total += losses[i];
      }
      return total / (windows.count * L);
    },
  };
}

/** The caller's batches and loss. */
function objectiveData(options: TrainLmOptions<unknown, unknown>): TrainingData {
  const objective = options.objective!;
  const validation = objective.validation ?? [];
  return {
    fingerprint: objective.fingerprint ?? 'custom',
    trainTokens: 0,
    valTokens: validation.reduce((n, b) => n + b.count * b.length, 0),
    tokensPerBatch: objective.tokensPerBatch ?? 0,
    hasValidation: validation.length > 0,
    nextBatch: (step, rng) => objective.nextBatch(step, rng),
    loss: objective.loss,
    async validate(engine, values) {
      if (validation.length === 0) return null;
      let total = 0;
      for (const batch of validation) total += objective.loss(await engine.logits(values, batch), batch).loss;
      return total / validation.length;
    },
  };
}

export function trainingData(options: TrainLmOptions<unknown, unknown>, hp: TrainHyperparameters, vocabSize: number, contextLength: number): TrainingData {
  return options.objective ? objectiveData(options) : streamData(options, hp, vocabSize, contextLength);
}
