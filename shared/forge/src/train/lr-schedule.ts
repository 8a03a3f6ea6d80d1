export interface LrSchedule {
  /** Peak learning rate, reached at the end of warmup. */
  learningRate: number;
  /** Floor the cosine decays to at `totalSteps`. */
  minLearningRate: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Linear warmup then cosine decay. `step` is 1-based (the step about to be taken), so the first
 * update already uses a non-zero rate.
 */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (s.learningRate * step) / s.warmupSteps;
  const decaySteps = s.totalSteps - s.warmupSteps;
  if (decaySteps <= 0) return s.learningRate;
  const progress = Math.min(1, Math.max(0, (step - s.warmupSteps) / decaySteps));
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.minLearningRate + (s.learningRate - s.minLearningRate) * cosine;
}
