import type { GptShape, GptWeights } from '../gpt/gpt-weights';
import { AdamW } from './adamw';
import { resolveHyperparameters } from './hyperparameters';
import { GptModel } from './gpt-model';
import { learningRateAt, LrSchedule } from './lr-schedule';
import { SeededRng } from './rng';
import { ensureTfBackend, tf } from './tf-backend';
import {
  buildTokenStream,
  evaluationWindows,
  sampleWindows,
  splitExamples,
  streamFingerprint,
  TokenWindows,
} from './token-stream';
import type {
  GptTrainerCheckpoint,
  GptTrainingReport,
  StopReason,
  TrainGptOptions,
  TrainGptResult,
  TrainHyperparameters,
} from './train-types';

const RECENT_LOSSES = 20;

function sameShape(a: GptShape, b: GptShape): boolean {
  return (Object.keys(a) as (keyof GptShape)[]).every((k) => a[k] === b[k]);
}

function checkTokenRange(stream: Int32Array, vocabSize: number, what: string): void {
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] < 0 || stream[i] >= vocabSize) throw new Error(`${what}: token id ${stream[i]} outside vocab of ${vocabSize}`);
  }
}

/**
 * Trains a {@link GptModel} on a token stream with AdamW, warmup + cosine LR, gradient clipping,
 * periodic validation with early stopping, and exact checkpoint/resume. Create with
 * {@link GptTrainer.create}, then {@link run}; {@link dispose} frees the tf memory.
 */
export class GptTrainer {
  readonly hp: TrainHyperparameters;
  private readonly optimizer: AdamW;
  private readonly schedule: LrSchedule;
  private readonly trainStream: Int32Array;
  private readonly valWindows: TokenWindows;
  private readonly valTokens: number;
  private readonly fingerprint: string;
  private readonly rng: SeededRng;
  private stepCount = 0;
  private tokensSeen = 0;
  private elapsedBeforeSec = 0;
  private runStartedMs: number | null = null;
  private recentLosses: number[] = [];
  private lastValLoss: number | null = null;
  private bestValLoss: number | null = null;
  private bestStep: number | null = null;
  private bestWeights: GptWeights | undefined;
  private patienceBaseline: number | null = null;
  private evalsSinceImprovement = 0;

  private constructor(readonly model: GptModel, readonly backend: string, private readonly options: TrainGptOptions) {
    this.hp = resolveHyperparameters(options);
    const { hp } = this;
    const special = { bosId: options.bosId, eosId: options.eosId };
    const split = options.validationExamples
      ? { train: [...options.examples], validation: [...options.validationExamples] }
      : splitExamples(options.examples, options.valFraction ?? 0.1, hp.seed);
    this.trainStream = buildTokenStream(split.train, special);
    const valStream = buildTokenStream(split.validation, special);
    const { vocabSize, contextLength } = model.shape;
    checkTokenRange(this.trainStream, vocabSize, 'training data');
    checkTokenRange(valStream, vocabSize, 'validation data');
    if (this.trainStream.length < contextLength + 1) {
      throw new Error(`training stream has ${this.trainStream.length} tokens; one window needs ${contextLength + 1}`);
    }
    this.valWindows = evaluationWindows(valStream, contextLength, hp.evalWindows);
    this.valTokens = valStream.length;
    this.fingerprint = `${streamFingerprint(this.trainStream)}/${streamFingerprint(valStream)}`;
    this.rng = new SeededRng(hp.seed);
    this.schedule = { learningRate: hp.learningRate, minLearningRate: hp.minLearningRate, warmupSteps: hp.warmupSteps, totalSteps: hp.maxSteps };
    this.optimizer = new AdamW(model.parameters, { beta1: hp.beta1, beta2: hp.beta2, epsilon: hp.adamEpsilon, weightDecay: hp.weightDecay });
  }

  static async create(options: TrainGptOptions): Promise<GptTrainer> {
    const backend = await ensureTfBackend();
    const dropout = options.dropout ?? 0;
    let model: GptModel;
    if (options.initialWeights) {
      const { shape } = options.initialWeights;
      if (options.model && !sameShape({ layerNormEps: 1e-5, ...options.model }, shape)) {
        throw new Error('options.model does not match the shape of initialWeights');
      }
      model = GptModel.fromGptWeights(options.initialWeights, { dropout });
    } else if (options.model) {
      model = GptModel.create(options.model, options.seed ?? 0, { dropout });
    } else {
      throw new Error('trainGpt needs options.model or options.initialWeights');
    }
    let trainer: GptTrainer;
    try {
      trainer = new GptTrainer(model, backend, options);
    } catch (err) {
      model.dispose();
      throw err;
    }
    if (options.resumeFrom) trainer.resumeFrom(options.resumeFrom);
    return trainer;
  }

  get step(): number {
    return this.stepCount;
  }

  hasValidation(): boolean {
    return this.valWindows.count > 0;
  }

  /** One optimizer step on a fresh random batch; returns its training loss. */
  trainStep(): number {
    const { batchSize: B, gradClipNorm, seed } = this.hp;
    const T = this.model.shape.contextLength;
    const step = this.stepCount + 1;
    const lr = learningRateAt(step, this.schedule);
    const batch = sampleWindows(this.trainStream, B, T, this.rng);
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputs, [B, T], 'int32');
      const targets = tf.tensor2d(batch.targets, [B, T], 'int32');
      const dropoutSeed = (Math.imul(seed + 1, 0x9e3779b1) + step * 7919) >>> 0;
      const params = this.model.parameters;
      const { value, grads } = tf.variableGrads(
        () => this.model.loss(ids, targets, { training: true, dropoutSeed }),
        params.map((p) => p.variable),
      );
      const named: Record<string, tf.Tensor> = {};
      for (const p of params) named[p.name] = grads[p.variable.name];
      if (gradClipNorm > 0) {
        const norm = tf.sqrt(tf.addN(Object.values(named).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.div(gradClipNorm, tf.maximum(norm, gradClipNorm));
        for (const name of Object.keys(named)) named[name] = tf.mul(named[name], scale);
      }
      this.optimizer.apply(named, lr);
      return value.dataSync()[0];
    });
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step} (loss ${loss})`);
    this.stepCount = step;
    this.tokensSeen += B * T;
    this.recentLosses.push(loss);
    if (this.recentLosses.length > RECENT_LOSSES) this.recentLosses.shift();
    return loss;
  }

  /** Mean validation loss (nats/token) of the current weights; null without validation data. */
  evaluate(): number | null {
    const w = this.valWindows;
    if (w.count === 0) return null;
    const B = this.hp.batchSize;
    let total = 0;
    for (let start = 0; start < w.count; start += B) {
      const n = Math.min(B, w.count - start);
      const slice = (a: Int32Array): Int32Array => a.subarray(start * w.length, (start + n) * w.length);
      const mean = tf.tidy(() => {
        const ids = tf.tensor2d(slice(w.inputs), [n, w.length], 'int32');
        const targets = tf.tensor2d(slice(w.targets), [n, w.length], 'int32');
        return this.model.loss(ids, targets).dataSync()[0];
      });
      total += mean * n;
    }
    return total / w.count;
  }

  /** Runs until maxSteps, early stopping or abort, then restores the best weights if asked to. */
  async run(): Promise<TrainGptResult> {
    const { hp, options } = this;
    const runStartStep = this.stepCount;
    const runStartTokens = this.tokensSeen;
    this.runStartedMs = Date.now();
    let stopReason: StopReason = 'max-steps';
    while (this.stepCount < hp.maxSteps) {
      if (options.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      const loss = this.trainStep();
      const step = this.stepCount;
      const last = step === hp.maxSteps;
      const validate = this.hasValidation() && (step % hp.evalEvery === 0 || last);
      if (validate && this.recordValidation(this.evaluate()!)) stopReason = 'early-stopping';
      if (options.onProgress && (step % (options.progressEvery ?? 1) === 0 || validate || last || stopReason !== 'max-steps')) {
        const sec = (Date.now() - this.runStartedMs) / 1000;
        const stepsPerSec = (step - runStartStep) / Math.max(sec, 1e-9);
        options.onProgress({
          step,
          steps: hp.maxSteps,
          loss,
          valLoss: this.lastValLoss,
          tokensPerSec: (this.tokensSeen - runStartTokens) / Math.max(sec, 1e-9),
          etaSec: (hp.maxSteps - step) / Math.max(stepsPerSec, 1e-9),
          lr: learningRateAt(step, this.schedule),
          tokensSeen: this.tokensSeen,
        });
      }
      if (options.checkpointEvery && options.onCheckpoint && step % options.checkpointEvery === 0) {
        await options.onCheckpoint(this.checkpoint());
      }
      if (stopReason === 'early-stopping') break;
      // Let timers and I/O (job heartbeats, NATS pings) run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.elapsedBeforeSec += (Date.now() - this.runStartedMs) / 1000;
    this.runStartedMs = null;
    let finalValLoss = this.lastValLoss;
    if (stopReason !== 'aborted' && hp.restoreBest && this.bestWeights && this.bestStep !== this.stepCount) {
      this.model.assignGptWeights(this.bestWeights);
      finalValLoss = this.bestValLoss;
    }
    return { weights: this.model.toGptWeights(), report: this.report(stopReason, finalValLoss) };
  }

  /**
   * Records a validation result; true when patience is exhausted. The best weights are those with the
   * lowest loss seen; patience restarts only on a gain of more than minDelta over the last baseline.
   */
  private recordValidation(valLoss: number): boolean {
    this.lastValLoss = valLoss;
    if (this.bestValLoss === null || valLoss < this.bestValLoss) {
      this.bestValLoss = valLoss;
      this.bestStep = this.stepCount;
      if (this.hp.restoreBest) this.bestWeights = this.model.toGptWeights();
    }
    if (this.patienceBaseline === null || valLoss < this.patienceBaseline - this.hp.minDelta) {
      this.patienceBaseline = valLoss;
      this.evalsSinceImprovement = 0;
      return false;
    }
    this.evalsSinceImprovement++;
    return this.hp.patience !== null && this.evalsSinceImprovement >= this.hp.patience;
  }

  report(stopReason: StopReason = 'max-steps', valLoss: number | null = this.lastValLoss): GptTrainingReport {
    const running = this.runStartedMs === null ? 0 : (Date.now() - this.runStartedMs) / 1000;
    const wallTimeSec = this.elapsedBeforeSec + running;
    const mean = this.recentLosses.reduce((a, b) => a + b, 0) / Math.max(1, this.recentLosses.length);
    return {
      trainLoss: this.recentLosses.length ? mean : NaN,
      valLoss,
      valPerplexity: valLoss === null ? null : Math.exp(valLoss),
      bestValLoss: this.bestValLoss,
      bestStep: this.bestStep,
      steps: this.stepCount,
      tokensSeen: this.tokensSeen,
      wallTimeSec,
      tokensPerSec: wallTimeSec > 0 ? this.tokensSeen / wallTimeSec : 0,
      stepsPerSec: wallTimeSec > 0 ? this.stepCount / wallTimeSec : 0,
      parameters: this.model.parameterCount(),
      stopReason,
      backend: this.backend,
      shape: { ...this.model.shape },
      trainTokens: this.trainStream.length,
      valTokens: this.valTokens,
      hyperparameters: { ...this.hp },
    };
  }

  /** A self-contained snapshot (see encodeCheckpoint for bytes) from which {@link resumeFrom} continues exactly. */
  checkpoint(): GptTrainerCheckpoint {
    const running = this.runStartedMs === null ? 0 : (Date.now() - this.runStartedMs) / 1000;
    return {
      format: 'assay-gpt-trainer/1',
      step: this.stepCount,
      hyperparameters: { ...this.hp },
      weights: this.model.toGptWeights(),
      optimizer: this.optimizer.getState(),
      rngState: this.rng.getState(),
      dataFingerprint: this.fingerprint,
      bestValLoss: this.bestValLoss,
      bestStep: this.bestStep,
      patienceBaseline: this.patienceBaseline,
      evalsSinceImprovement: this.evalsSinceImprovement,
      bestWeights: this.bestWeights,
      lastValLoss: this.lastValLoss,
      recentLosses: [...this.recentLosses],
      tokensSeen: this.tokensSeen,
      elapsedSec: this.elapsedBeforeSec + running,
    };
  }

  /** Restores weights, optimizer moments, data cursor and validation bookkeeping from a checkpoint. */
  resumeFrom(ckpt: GptTrainerCheckpoint): void {
    if (ckpt.format !== 'assay-gpt-trainer/1') throw new Error(`unknown checkpoint format ${String(ckpt.format)}`);
    if (!sameShape(ckpt.weights.shape, this.model.shape)) throw new Error('checkpoint architecture differs from the model');
    if (ckpt.dataFingerprint !== this.fingerprint) {
      throw new Error(`checkpoint was trained on different data (${ckpt.dataFingerprint} vs ${this.fingerprint})`);
    }
    this.model.assignGptWeights(ckpt.weights);
    this.optimizer.setState(ckpt.optimizer);
    this.rng.setState(ckpt.rngState);
    this.stepCount = ckpt.step;
    this.bestValLoss = ckpt.bestValLoss;
    this.bestStep = ckpt.bestStep;
    this.patienceBaseline = ckpt.patienceBaseline;
    this.evalsSinceImprovement = ckpt.evalsSinceImprovement;
    this.bestWeights = ckpt.bestWeights;
    this.lastValLoss = ckpt.lastValLoss;
    this.recentLosses = [...ckpt.recentLosses];
    this.tokensSeen = ckpt.tokensSeen;
    this.elapsedBeforeSec = ckpt.elapsedSec;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Trains (or fine-tunes, or resumes) a GPT and returns its weights and a training report. */
export async function trainGpt(options: TrainGptOptions): Promise<TrainGptResult> {
  const trainer = await GptTrainer.create(options);
  try {
    return await trainer.run();
  } finally {
    trainer.dispose();
  }
}
