import type { GptShape } from '../gpt/gpt-weights';
import type { DecoderConfig } from '../onnx/decoder-families';
import type { LmBatch, LmEngine } from './engine/engine-types';
import { Float32AdamW } from './float32-adamw';
import { resolveHyperparameters } from './hyperparameters';
import { learningRateAt, LrSchedule } from './lr-schedule';
import type { ModelFamily } from './model-family';
import type { LmArchitecture, ParamSpec } from './models/architecture';
import { LoraConfig, mergeLora } from './models/lora';
import { SeededRng } from './rng';
import { EngineFactory, prepareTraining } from './trainer-setup';
import { trainingData, TrainingData } from './training-data';
import type {
  LmTrainingReport,
  StopReason,
  TrainerCheckpoint,
  TrainHyperparameters,
  TrainLmOptions,
  TrainLmResult,
} from './train-types';

const RECENT_LOSSES = 20;

const copyMap = (m: ReadonlyMap<string, Float32Array>, names: Iterable<string>): Map<string, Float32Array> =>
  new Map([...names].map((n) => [n, new Float32Array(m.get(n)!)]));
const toRecord = (m: ReadonlyMap<string, Float32Array>): Record<string, Float32Array> => Object.fromEntries([...m].map(([k, v]) => [k, new Float32Array(v)]));

function sameLora(a?: LoraConfig, b?: LoraConfig): boolean {
  if (!a || !b) return !a && !b;
  return a.rank === b.rank && a.alpha === b.alpha && a.targets.join() === b.targets.join();
}

/**
 * Trains a decoder LM (GPT-2 or the llama family, fully or through LoRA adapters) with AdamW, warmup + cosine
 * LR, gradient clipping, periodic validation with early stopping, and exact checkpoint/resume. Parameters live
 * here as Float32Arrays; an {@link LmEngine} (onnxruntime by default) computes losses and gradients.
 * Create with GptTrainer.create / DecoderTrainer.create (lm-trainers.ts), then {@link run}; {@link dispose} at the end.
 */
export class LmTrainer<W, S> {
  readonly hp: TrainHyperparameters;
  readonly arch: LmArchitecture;
  /** Every graph parameter (base, then adapters) by name. */
  readonly values: Map<string, Float32Array>;
  readonly trainable: ReadonlySet<string>;
  private readonly baseNames: string[];
  private readonly adapterNames: string[];
  private readonly optimizer: Float32AdamW;
  private readonly schedule: LrSchedule;
  private readonly data: TrainingData;
  private readonly rng: SeededRng;
  private stepCount = 0;
  private tokensSeen = 0;
  private elapsedBeforeSec = 0;
  private runStartedMs: number | null = null;
  private recentLosses: number[] = [];
  private lastValLoss: number | null = null;
  private bestValLoss: number | null = null;
  private bestStep: number | null = null;
  private best: Map<string, Float32Array> | undefined;
  private patienceBaseline: number | null = null;
  private evalsSinceImprovement = 0;

  private constructor(
    private readonly family: ModelFamily<W, S>,
    private readonly baseWeights: W,
    readonly engine: LmEngine,
    private readonly options: TrainLmOptions<W, S>,
    params: { arch: LmArchitecture; specs: ParamSpec[]; values: Map<string, Float32Array>; trainable: Set<string>; adapterNames: string[] },
  ) {
    this.hp = resolveHyperparameters(options);
    this.arch = params.arch;
    this.values = params.values;
    this.trainable = params.trainable;
    this.adapterNames = params.adapterNames;
    this.baseNames = params.arch.params.map((p) => p.name);
    this.data = trainingData(options as TrainLmOptions<unknown, unknown>, this.hp, this.arch.vocabSize, this.arch.contextLength);
    this.rng = new SeededRng(this.hp.seed);
    const { hp } = this;
    this.schedule = { learningRate: hp.learningRate, minLearningRate: hp.minLearningRate, warmupSteps: hp.warmupSteps, totalSteps: hp.maxSteps };
    const optimized = params.specs.filter((p) => this.trainable.has(p.name)).map((p) => ({ name: p.name, size: this.values.get(p.name)!.length, decay: p.decay }));
    this.optimizer = new Float32AdamW(optimized, { beta1: hp.beta1, beta2: hp.beta2, epsilon: hp.adamEpsilon, weightDecay: hp.weightDecay });
  }

  /** A trainer for `family` (see GptTrainer and DecoderTrainer); `makeEngine` replaces onnxruntime. */
  static async create<W, S>(family: ModelFamily<W, S>, options: TrainLmOptions<W, S>, makeEngine?: EngineFactory): Promise<LmTrainer<W, S>> {
    const setup = await prepareTraining(family, options, makeEngine);
    let trainer: LmTrainer<W, S>;
    try {
      trainer = new LmTrainer(family, setup.weights, setup.engine, options, setup);
    } catch (err) {
      await setup.engine.dispose();
      throw err;
    }
    if (options.resumeFrom) trainer.resumeFrom(options.resumeFrom);
    return trainer;
  }

  get step(): number {
    return this.stepCount;
  }

  hasValidation(): boolean {
    return this.data.hasValidation;
  }

  parameterCount(): number {
    return this.baseNames.reduce((n, k) => n + this.values.get(k)!.length, 0);
  }

  trainableParameterCount(): number {
    return [...this.trainable].reduce((n, k) => n + this.values.get(k)!.length, 0);
  }

  /** One optimizer step on the next batch; returns its training loss. */
  async trainStep(): Promise<number> {
    const { gradClipNorm, seed } = this.hp;
    const step = this.stepCount + 1;
    const lr = learningRateAt(step, this.schedule);
    const batch = this.data.nextBatch(step, this.rng);
    const dropoutSeed = (Math.imul(seed + 1, 0x9e3779b1) + step * 7919) >>> 0;
    const { loss, grads } = this.data.loss
      ? await this.engine.customStep(this.values, batch, dropoutSeed, this.data.loss)
      : await this.engine.lossAndGrads(this.values, batch, dropoutSeed);
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step} (loss ${loss})`);
    let gradScale = 1;
    if (gradClipNorm > 0) {
      let sq = 0;
      for (const g of grads.values()) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
      const norm = Math.sqrt(sq);
      gradScale = gradClipNorm / Math.max(norm, gradClipNorm);
    }
    this.optimizer.apply(this.values, grads, lr, gradScale);
    this.stepCount = step;
    this.tokensSeen += this.data.tokensPerBatch || batch.count * batch.length;
    this.recentLosses.push(loss);
    if (this.recentLosses.length > RECENT_LOSSES) this.recentLosses.shift();
    return loss;
  }

  /** Mean validation loss of the current weights (nats/token for cross-entropy); null without validation data. */
  evaluate(): Promise<number | null> {
    return this.data.validate(this.engine, this.values);
  }

  /** Logits [count·length, V] of the current weights (adapters applied), e.g. a base model's reference distribution. */
  logits(batch: LmBatch): Promise<Float32Array> {
    return this.engine.logits(this.values, batch);
  }

  /** Runs until maxSteps, early stopping or abort, then restores the best weights if asked to. */
  async run(): Promise<TrainLmResult<W>> {
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
      const loss = await this.trainStep();
      const step = this.stepCount;
      const last = step === hp.maxSteps;
      const validate = this.hasValidation() && (step % hp.evalEvery === 0 || last);
      if (validate && this.recordValidation((await this.evaluate())!)) stopReason = 'early-stopping';
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
    if (stopReason !== 'aborted' && hp.restoreBest && this.best && this.bestStep !== this.stepCount) {
      for (const [name, data] of this.best) this.values.get(name)!.set(data);
      finalValLoss = this.bestValLoss;
    }
    return { weights: this.mergedWeights(), report: this.report(stopReason, finalValLoss), ...(this.options.lora ? { adapters: toRecord(this.adapters()) } : {}) };
  }

  private adapters(): Map<string, Float32Array> {
    return new Map(this.adapterNames.map((n) => [n, this.values.get(n)!]));
  }

  /** Current weights with LoRA adapters folded in (the form to export or fine-tune further). */
  mergedWeights(): W {
    const base = new Map(this.baseNames.map((n) => [n, this.values.get(n)!]));
    const merged = this.options.lora ? mergeLora(this.arch, this.options.lora, base, this.adapters()) : base;
    return this.family.unflatten(this.baseWeights, merged);
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
      if (this.hp.restoreBest) this.best = copyMap(this.values, this.trainable);
    }
    if (this.patienceBaseline === null || valLoss < this.patienceBaseline - this.hp.minDelta) {
      this.patienceBaseline = valLoss;
      this.evalsSinceImprovement = 0;
      return false;
    }
    this.evalsSinceImprovement++;
    return this.hp.patience !== null && this.evalsSinceImprovement >= this.hp.patience;
  }

  report(stopReason: StopReason = 'max-steps', valLoss: number | null = this.lastValLoss): LmTrainingReport<GptShape | DecoderConfig> {
    const running = this.runStartedMs === null ? 0 : (Date.now() - this.runStartedMs) / 1000;
    const wallTimeSec = this.elapsedBeforeSec + running;
    const mean = this.recentLosses.reduce((a, b) => a + b, 0) / Math.max(1, this.recentLosses.length);
    const tokensPerSec = wallTimeSec > 0 ? this.tokensSeen / wallTimeSec : 0;
    const flopsPerToken = 3 * this.arch.forwardFlopsPerToken(this.arch.contextLength);
    return {
      trainLoss: this.recentLosses.length ? mean : NaN,
      valLoss,
      valPerplexity: valLoss === null ? null : Math.exp(valLoss),
      bestValLoss: this.bestValLoss,
      bestStep: this.bestStep,
      steps: this.stepCount,
      tokensSeen: this.tokensSeen,
      wallTimeSec,
      tokensPerSec,
      stepsPerSec: wallTimeSec > 0 ? this.stepCount / wallTimeSec : 0,
      parameters: this.parameterCount(),
      trainableParameters: this.trainableParameterCount(),
      stopReason,
      backend: this.engine.name,
      threads: this.options.threads ?? 1,
      flopsPerToken,
      modelGflopsPerSec: (tokensPerSec * flopsPerToken) / 1e9,
      family: this.arch.family,
      shape: this.family.describe(this.baseWeights),
      lora: this.options.lora ? { ...this.options.lora, targets: [...this.options.lora.targets] } : null,
      trainTokens: this.data.trainTokens,
      valTokens: this.data.valTokens,
      hyperparameters: { ...this.hp },
    };
  }

  private baseWith(overrides?: ReadonlyMap<string, Float32Array>): W {
    const base = new Map(this.baseNames.map((n) => [n, overrides?.get(n) ?? this.values.get(n)!]));
    return this.family.unflatten(this.baseWeights, base);
  }

  /** A self-contained snapshot (see encodeCheckpoint for bytes) from which {@link resumeFrom} continues exactly. */
  checkpoint(): TrainerCheckpoint<W> {
    const running = this.runStartedMs === null ? 0 : (Date.now() - this.runStartedMs) / 1000;
    const baseTrains = this.baseNames.some((n) => this.trainable.has(n));
    const lora = this.options.lora;
    return {
      format: this.family.checkpointFormat,
      step: this.stepCount,
      hyperparameters: { ...this.hp },
      weights: this.baseWith(),
      optimizer: this.optimizer.getState(),
      rngState: this.rng.getState(),
      dataFingerprint: this.data.fingerprint,
      bestValLoss: this.bestValLoss,
      bestStep: this.bestStep,
      patienceBaseline: this.patienceBaseline,
      evalsSinceImprovement: this.evalsSinceImprovement,
      bestWeights: this.best && baseTrains ? this.baseWith(this.best) : undefined,
      lastValLoss: this.lastValLoss,
      recentLosses: [...this.recentLosses],
      tokensSeen: this.tokensSeen,
      elapsedSec: this.elapsedBeforeSec + running,
      ...(lora ? { lora: { ...lora, targets: [...lora.targets] }, adapters: toRecord(this.adapters()) } : {}),
      ...(lora && this.best ? { bestAdapters: toRecord(copyMap(this.best, this.adapterNames)) } : {}),
      trainable: [...this.trainable],
    };
  }

  /** Restores weights, adapters, optimizer moments, data cursor and validation bookkeeping from a checkpoint. */
  resumeFrom(ckpt: TrainerCheckpoint<W>): void {
    if (ckpt.format !== this.family.checkpointFormat) throw new Error(`unknown checkpoint format ${String(ckpt.format)}`);
    if (!this.family.sameArchitecture(ckpt.weights, this.baseWeights)) throw new Error('checkpoint architecture differs from the model');
    if (ckpt.dataFingerprint !== this.data.fingerprint) {
      throw new Error(`checkpoint was trained on different data (${ckpt.dataFingerprint} vs ${this.data.fingerprint})`);
    }
    if (!sameLora(ckpt.lora, this.options.lora)) throw new Error('checkpoint LoRA configuration differs from this run');
    if (ckpt.trainable && ckpt.trainable.slice().sort().join() !== [...this.trainable].sort().join()) {
      throw new Error('checkpoint trained another set of parameters');
    }
    const base = this.family.flatten(ckpt.weights);
    for (const n of this.baseNames) this.values.get(n)!.set(base.get(n)!);
    for (const n of this.adapterNames) this.values.get(n)!.set(ckpt.adapters![n]);
    this.optimizer.setState(ckpt.optimizer);
    this.rng.setState(ckpt.rngState);
    this.stepCount = ckpt.step;
    this.bestValLoss = ckpt.bestValLoss;
    this.bestStep = ckpt.bestStep;
    this.patienceBaseline = ckpt.patienceBaseline;
    this.evalsSinceImprovement = ckpt.evalsSinceImprovement;
    this.best = undefined;
    if (ckpt.bestWeights || ckpt.bestAdapters) {
      const bestBase = ckpt.bestWeights ? this.family.flatten(ckpt.bestWeights) : base;
      this.best = new Map([...this.trainable].map((n) => [n, new Float32Array(bestBase.get(n) ?? ckpt.bestAdapters![n])]));
    }
    this.lastValLoss = ckpt.lastValLoss;
    this.recentLosses = [...ckpt.recentLosses];
    this.tokensSeen = ckpt.tokensSeen;
    this.elapsedBeforeSec = ckpt.elapsedSec;
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
