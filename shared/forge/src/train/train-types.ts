import type { GptShape, GptWeights } from '../gpt/gpt-weights';
import type { AdamWState } from './adamw';
import type { TokenizedExample } from './token-stream';

/** Architecture of a freshly initialized model. */
export type GptModelSpec = Omit<GptShape, 'layerNormEps'> & { layerNormEps?: number };

/** Everything that shapes the optimisation; plain data, stored in checkpoints. */
export interface TrainHyperparameters {
  batchSize: number;
  maxSteps: number;
  /** Peak learning rate (after warmup). */
  learningRate: number;
  /** Cosine floor reached at maxSteps. */
  minLearningRate: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  adamEpsilon: number;
  /** Global gradient-norm clip; 0 disables clipping. */
  gradClipNorm: number;
  dropout: number;
  /** Validate every this many steps (and at the last step). */
  evalEvery: number;
  /** At most this many contextLength windows of held-out text per validation. */
  evalWindows: number;
  /** Stop after this many validations without improvement; null = never stop early. */
  patience: number | null;
  /** An improvement must lower the validation loss by more than this. */
  minDelta: number;
  /** Return the weights with the best validation loss rather than the last ones. */
  restoreBest: boolean;
  seed: number;
}

export interface TrainProgress {
  step: number;
  steps: number;
  /** Training loss of this step (nats/token). */
  loss: number;
  /** Latest validation loss, null before the first validation or without validation data. */
  valLoss: number | null;
  tokensPerSec: number;
  etaSec: number;
  lr: number;
  tokensSeen: number;
}

export interface GptTrainerCheckpoint {
  format: 'assay-gpt-trainer/1';
  /** Optimizer steps taken. */
  step: number;
  hyperparameters: TrainHyperparameters;
  weights: GptWeights;
  optimizer: AdamWState;
  /** Data sampler state (the position in the seeded window sequence). */
  rngState: number;
  /** Identifies the train/validation token streams the run was fed. */
  dataFingerprint: string;
  bestValLoss: number | null;
  bestStep: number | null;
  /** Loss the next validation must beat by more than minDelta to restart patience. */
  patienceBaseline: number | null;
  evalsSinceImprovement: number;
  /** Present when restoreBest keeps a copy of the best weights so far. */
  bestWeights?: GptWeights;
  lastValLoss: number | null;
  recentLosses: number[];
  tokensSeen: number;
  elapsedSec: number;
}

export type StopReason = 'max-steps' | 'early-stopping' | 'aborted';

export interface GptTrainingReport {
  /** Mean training loss over the last (up to 20) steps. */
  trainLoss: number;
  /** Validation loss of the returned weights; null without validation data. */
  valLoss: number | null;
  valPerplexity: number | null;
  bestValLoss: number | null;
  bestStep: number | null;
  steps: number;
  tokensSeen: number;
  wallTimeSec: number;
  tokensPerSec: number;
  stepsPerSec: number;
  parameters: number;
  stopReason: StopReason;
  backend: string;
  shape: GptShape;
  trainTokens: number;
  valTokens: number;
  hyperparameters: TrainHyperparameters;
}

export interface TrainGptOptions extends Partial<TrainHyperparameters> {
  /** Fresh model architecture; required unless initialWeights is given. */
  model?: GptModelSpec;
  /** Fine-tune from these weights (e.g. a released model) instead of initializing. */
  initialWeights?: GptWeights;
  /** Token ids per example, without BOS/EOS. */
  examples: readonly TokenizedExample[];
  /** Explicit held-out examples; otherwise `valFraction` of `examples` is held out. */
  validationExamples?: readonly TokenizedExample[];
  /** Fraction of examples held out for validation when validationExamples is absent (default 0.1). */
  valFraction?: number;
  bosId: number;
  eosId: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Report progress every this many steps (default 1); validations and the last step always report. */
  progressEvery?: number;
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: GptTrainerCheckpoint) => void | Promise<void>;
  /** Continue a run from a checkpoint (same data and architecture required). */
  resumeFrom?: GptTrainerCheckpoint;
  /** Stops training after the current step (the result's stopReason is 'aborted'). */
  signal?: AbortSignal;
}

export interface TrainGptResult {
  weights: GptWeights;
  report: GptTrainingReport;
}
