import type { DecoderConfig } from '../onnx/decoder-families';
import type { GptShape, GptWeights } from '../gpt/gpt-weights';
import type { AdamWState } from './adamw';
import type { LmBatch, LogitsLoss } from './engine/engine-types';
import type { DecoderModel } from './model-family';
import type { LoraConfig } from './models/lora';
import type { SeededRng } from './rng';
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

/** A trainer snapshot from which a run continues exactly (see encodeCheckpoint for bytes). */
export interface TrainerCheckpoint<W> {
  /** 'assay-gpt-trainer/1' (GPT-2) or 'assay-decoder-trainer/1' (llama family). */
  format: string;
  /** Optimizer steps taken. */
  step: number;
  hyperparameters: TrainHyperparameters;
  /** Base weights (LoRA adapters are kept apart, unmerged). */
  weights: W;
  /** AdamW moments of the trainable parameters. */
  optimizer: AdamWState;
  /** Data sampler state (the position in the seeded window sequence). */
  rngState: number;
  /** Identifies the train/validation data the run was fed. */
  dataFingerprint: string;
  bestValLoss: number | null;
  bestStep: number | null;
  /** Loss the next validation must beat by more than minDelta to restart patience. */
  patienceBaseline: number | null;
  evalsSinceImprovement: number;
  /** Present when restoreBest keeps a copy of the best weights so far (and some base weight trains). */
  bestWeights?: W;
  lastValLoss: number | null;
  recentLosses: number[];
  tokensSeen: number;
  elapsedSec: number;
  lora?: LoraConfig;
  adapters?: Record<string, Float32Array>;
  bestAdapters?: Record<string, Float32Array>;
  /** Names of the trainable parameters. */
  trainable?: string[];
}

export type GptTrainerCheckpoint = TrainerCheckpoint<GptWeights>;
export type DecoderTrainerCheckpoint = TrainerCheckpoint<DecoderModel>;

export type StopReason = 'max-steps' | 'early-stopping' | 'aborted';

export interface LmTrainingReport<Shape = GptShape | DecoderConfig> {
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
  /** Parameters that received gradients (all of them, or the LoRA adapters, or the caller's choice). */
  trainableParameters: number;
  stopReason: StopReason;
  /** Execution engine: 'onnxruntime' (default) or 'tfjs-wasm' (the former trainer, kept as a baseline). */
  backend: string;
  threads: number;
  /** Model FLOPs of one training token (3 × forward matmul FLOPs), and their rate over the run. */
  flopsPerToken: number;
  modelGflopsPerSec: number;
  family: 'gpt2' | 'llama';
  /** GptShape for GPT-2, DecoderConfig for the llama family. */
  shape: Shape;
  lora: LoraConfig | null;
  trainTokens: number;
  valTokens: number;
  hyperparameters: TrainHyperparameters;
}

export type GptTrainingReport = LmTrainingReport<GptShape>;

/**
 * A caller's objective in place of next-token cross-entropy on windows of the token stream: its own batches and
 * a loss over the logits with its gradient (e.g. calibration tuning's 2-way query loss plus a divergence to the
 * base model). Validation, early stopping and checkpoints work as usual.
 */
export interface CustomObjective<B extends LmBatch = LmBatch> {
  /** The batch for step `step` (1-based), drawn with the trainer's seeded generator, so a resumed run draws the same. */
  nextBatch(step: number, rng: SeededRng): B;
  loss: LogitsLoss<B>;
  /** Fixed batches whose mean loss is the validation loss. */
  validation?: readonly B[];
  /** Identifies the data in checkpoints (default 'custom'). */
  fingerprint?: string;
  /** Tokens one batch counts for throughput (default count × length). */
  tokensPerBatch?: number;
}

export interface TrainLmOptions<W, S> extends Partial<TrainHyperparameters> {
  /** Fresh model architecture; required unless initialWeights is given. */
  model?: S;
  /** Fine-tune from these weights (e.g. a released or imported model) instead of initializing. */
  initialWeights?: W;
  /** Token ids per example, without BOS/EOS (required unless `objective` supplies the batches). */
  examples?: readonly TokenizedExample[];
  /** Explicit held-out examples; otherwise `valFraction` of `examples` is held out. */
  validationExamples?: readonly TokenizedExample[];
  /** Fraction of examples held out for validation when validationExamples is absent (default 0.1). */
  valFraction?: number;
  bosId?: number;
  eosId?: number;
  /** Train LoRA adapters on frozen base weights; the result's weights have them merged. */
  lora?: LoraConfig;
  /** Which base parameters train (names, or a predicate); default all, or none with `lora`. */
  trainable?: readonly string[] | ((name: string) => boolean);
  /** A caller's batches and loss instead of next-token cross-entropy (any batch type extending LmBatch). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  objective?: CustomObjective<any>;
  /** 'onnxruntime' (default) or 'tfjs' (GPT-2 only; the former engine, slower, kept as a baseline). */
  engine?: 'onnxruntime' | 'tfjs';
  /** onnxruntime intra-op threads (default 1: one core per model). */
  threads?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Report progress every this many steps (default 1); validations and the last step always report. */
  progressEvery?: number;
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: TrainerCheckpoint<W>) => void | Promise<void>;
  /** Continue a run from a checkpoint (same data and architecture required). */
  resumeFrom?: TrainerCheckpoint<W>;
  /** Stops training after the current step (the result's stopReason is 'aborted'). */
  signal?: AbortSignal;
}

export interface TrainLmResult<W, Shape = GptShape | DecoderConfig> {
  /** Trained weights, LoRA adapters merged in. */
  weights: W;
  report: LmTrainingReport<Shape>;
  /** The adapters alone (with `lora`), for applying them at run time instead of merged. */
  adapters?: Record<string, Float32Array>;
}

export type TrainGptOptions = TrainLmOptions<GptWeights, GptModelSpec>;
export type TrainGptResult = TrainLmResult<GptWeights, GptShape>;
export type TrainDecoderOptions = TrainLmOptions<DecoderModel, DecoderConfig>;
export type TrainDecoderResult = TrainLmResult<DecoderModel, DecoderConfig>;
