import type { TrainHyperparameters } from './train-types';

/** Fills defaults (sized for small models) and validates the integer settings. */
export function resolveHyperparameters(o: Partial<TrainHyperparameters>): TrainHyperparameters {
  const maxSteps = o.maxSteps ?? 1000;
  const learningRate = o.learningRate ?? 1e-3;
  const hp: TrainHyperparameters = {
    batchSize: o.batchSize ?? 32,
    maxSteps,
    learningRate,
    minLearningRate: o.minLearningRate ?? learningRate / 10,
    warmupSteps: o.warmupSteps ?? Math.min(100, Math.floor(maxSteps / 20)),
    weightDecay: o.weightDecay ?? 0.1,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.99,
    adamEpsilon: o.adamEpsilon ?? 1e-8,
    gradClipNorm: o.gradClipNorm ?? 1,
    dropout: o.dropout ?? 0,
    evalEvery: o.evalEvery ?? 100,
    evalWindows: o.evalWindows ?? 128,
    patience: o.patience ?? null,
    minDelta: o.minDelta ?? 0,
    restoreBest: o.restoreBest ?? true,
    seed: o.seed ?? 0,
  };
  for (const key of ['batchSize', 'maxSteps', 'evalEvery', 'evalWindows'] as const) {
    if (!Number.isInteger(hp[key]) || hp[key] < 1) throw new Error(`${key} must be a positive integer, got ${hp[key]}`);
  }
  return hp;
}
