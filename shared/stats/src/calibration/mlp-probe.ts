/**
 * The probe of spec shared/specs/calibration.md §3.2: an MLP on L's final hidden state at the last token of
 * question + answer, Linear(d→256)–ReLU–Linear(256→128)–ReLU–Linear(128→64)–ReLU–Linear(64→2), Xavier-normal
 * weights, PyTorch-default biases, cross-entropy on the 2 logits, P(correct) = softmax[1]. Float64 parameters
 * (the reference casts the head to bf16/fp16; we do not need to).
 *
 * Our addition: features are standardised with the training set's per-dimension mean and standard deviation
 * (stored with the probe), so the default learning rate suits hidden states of any scale.
 */
import { Adam } from '../nn/adam';
import { runWithEarlyStopping, runWithEarlyStoppingAsync } from '../nn/early-stopping';
import { DenseLayer, denseBackward, denseForward, denseStack, initXavierNormal } from '../nn/dense';
import { sigmoid } from '../nn/logistic';
import { Rng } from '../rng';

export interface ProbeState {
  kind: 'mlp-probe';
  version: 1;
  /** [d, hidden..., 2]. */
  sizes: number[];
  params: number[];
  /** Feature standardisation (null = none). */
  mean: number[] | null;
  std: number[] | null;
}

export class MlpProbe {
  readonly params: Float64Array;
  readonly grad: Float64Array;
  readonly layers: DenseLayer[];
  private readonly pre: Float64Array[];
  private readonly act: Float64Array[];
  private readonly delta: Float64Array[];
  private readonly input: Float64Array;

  constructor(readonly sizes: readonly number[], private readonly mean: Float64Array | null = null, private readonly std: Float64Array | null = null) {
    if (sizes[sizes.length - 1] !== 2) throw new RangeError('the probe ends in 2 logits');
    const { layers, end } = denseStack(sizes);
    this.layers = layers;
    this.params = new Float64Array(end);
    this.grad = new Float64Array(end);
    this.pre = layers.map((l) => new Float64Array(l.outDim));
    this.act = layers.map((l) => new Float64Array(l.outDim));
    this.delta = layers.map((l) => new Float64Array(l.outDim));
    this.input = new Float64Array(sizes[0]);
  }

  /** A freshly initialised probe (Xavier-normal weights, PyTorch-default biases). */
  static create(inputDim: number, hidden: readonly number[], rng: Rng, standardization?: { mean: Float64Array; std: Float64Array }): MlpProbe {
    const probe = new MlpProbe([inputDim, ...hidden, 2], standardization?.mean ?? null, standardization?.std ?? null);
    for (const layer of probe.layers) initXavierNormal(probe.params, layer, rng);
    return probe;
  }

  get inputDim(): number {
    return this.sizes[0];
  }

  /** Runs the net on one feature vector; the logits are in the last layer's buffer, returned. */
  private run(x: ArrayLike<number>): Float64Array {
    if (x.length !== this.inputDim) throw new RangeError(`feature vector has ${x.length} entries, the probe expects ${this.inputDim}`);
    const input = this.input;
    for (let j = 0; j < x.length; j++) input[j] = this.mean && this.std ? (x[j] - this.mean[j]) / this.std[j] : x[j];
    let prev: Float64Array = input;
    const last = this.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      denseForward(this.params, this.layers[l], prev, 0, this.pre[l], 0);
      const z = this.pre[l];
      const a = this.act[l];
      if (l < last) for (let i = 0; i < z.length; i++) a[i] = z[i] > 0 ? z[i] : 0;
      else a.set(z);
      prev = a;
    }
    return this.act[last];
  }

  /** The two logits [z_incorrect, z_correct]. */
  logits(x: ArrayLike<number>): [number, number] {
    const z = this.run(x);
    return [z[0], z[1]];
  }

  /** P(correct) = softmax(logits / T)[1]. */
  pCorrect(x: ArrayLike<number>, temperature = 1): number {
    const z = this.run(x);
    return sigmoid((z[1] - z[0]) / temperature);
  }

  /** Mean cross-entropy over xs[idx[from..to)] and its gradient, written into `grad`. */
  lossAndGradient(xs: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>, idx: ArrayLike<number>, from = 0, to = idx.length): number {
    this.grad.fill(0);
    const m = to - from;
    const last = this.layers.length - 1;
    let loss = 0;
    for (let k = from; k < to; k++) {
      const i = idx[k];
      const z = this.run(xs[i]);
      const y = labels[i];
      const hi = Math.max(z[0], z[1]);
      const lse = hi + Math.log(Math.exp(z[0] - hi) + Math.exp(z[1] - hi));
      loss += lse - z[y];
      const d = this.delta[last];
      d[0] = (Math.exp(z[0] - lse) - (y === 0 ? 1 : 0)) / m;
      d[1] = (Math.exp(z[1] - lse) - (y === 1 ? 1 : 0)) / m;
      for (let l = last; l >= 0; l--) {
        const below = l > 0 ? this.act[l - 1] : this.input;
        const dBelow = l > 0 ? this.delta[l - 1] : null;
        denseBackward(this.params, this.grad, this.layers[l], below, 0, this.delta[l], 0, dBelow, 0);
        if (dBelow) {
          const zb = this.pre[l - 1];
          for (let j = 0; j < dBelow.length; j++) if (!(zb[j] > 0)) dBelow[j] = 0; // through the ReLU
        }
      }
    }
    return loss / m;
  }

  /** Mean cross-entropy (no gradient). */
  loss(xs: ReadonlyArray<ArrayLike<number>>, labels: ArrayLike<number>): number {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) {
      const z = this.run(xs[i]);
      const hi = Math.max(z[0], z[1]);
      sum += hi + Math.log(Math.exp(z[0] - hi) + Math.exp(z[1] - hi)) - z[labels[i]];
    }
    return sum / xs.length;
  }

  toJSON(): ProbeState {
    return {
      kind: 'mlp-probe', version: 1, sizes: [...this.sizes], params: Array.from(this.params),
      mean: this.mean ? Array.from(this.mean) : null, std: this.std ? Array.from(this.std) : null,
    };
  }

  static fromJSON(state: ProbeState): MlpProbe {
    if (state.kind !== 'mlp-probe' || state.version !== 1) throw new RangeError(`not an MLP probe state (kind ${state.kind}, version ${state.version})`);
    const probe = new MlpProbe(state.sizes, state.mean ? Float64Array.from(state.mean) : null, state.std ? Float64Array.from(state.std) : null);
    if (state.params.length !== probe.params.length) throw new RangeError(`probe state holds ${state.params.length} parameters, expected ${probe.params.length}`);
    if ((state.mean && state.mean.length !== probe.inputDim) || (state.std && state.std.length !== probe.inputDim)) throw new RangeError('probe standardisation does not match its input size');
    probe.params.set(state.params);
    return probe;
  }
}

export interface LabelledFeatures {
  features: ReadonlyArray<ArrayLike<number>>;
  /** 1 = the answer was correct. */
  labels: ArrayLike<number>;
}

export interface ProbeTrainingOptions {
  /** Hidden widths (spec: [256, 128, 64]). */
  hidden?: number[];
  learningRate?: number;
  /** AdamW decoupled weight decay (spec: 0). */
  weightDecay?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without a better validation loss before stopping (the best epoch's weights are kept). */
  patience?: number;
  standardize?: boolean;
  seed?: number | string;
  /** Called after every epoch (progress reporting). */
  onEpoch?: (epoch: { epoch: number; trainLoss: number; validationLoss: number | null }) => void;
}

export interface ProbeTrainingResult {
  probe: MlpProbe;
  epochs: number;
  /** 1-based epoch whose weights were kept (the last one without validation data). */
  bestEpoch: number;
  history: Array<{ epoch: number; trainLoss: number; validationLoss: number | null }>;
}

function checkLabelled(data: LabelledFeatures, what: string, dim?: number): void {
  if (data.features.length !== data.labels.length) throw new RangeError(`${what}: ${data.features.length} feature vectors for ${data.labels.length} labels`);
  for (let i = 0; i < data.features.length; i++) {
    const x = data.features[i];
    if (dim !== undefined && x.length !== dim) throw new RangeError(`${what}: feature vector ${i} has ${x.length} entries, expected ${dim}`);
    for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j])) throw new RangeError(`${what}: feature ${i}[${j}] is not finite`);
    if (data.labels[i] !== 0 && data.labels[i] !== 1) throw new RangeError(`${what}: labels[${i}] must be 0 or 1`);
  }
}

/** The probe, its epoch function and the loop's settings: what trainProbe and trainProbeAsync share. */
function probeTraining(train: LabelledFeatures, validation: LabelledFeatures | null, options: ProbeTrainingOptions) {
  const n = train.features.length;
  if (n === 0) throw new RangeError('probe training needs at least one example');
  const dim = train.features[0].length;
  checkLabelled(train, 'train', dim);
  if (validation) checkLabelled(validation, 'validation', dim);
  const { hidden = [256, 128, 64], learningRate = 1e-3, weightDecay = 0, batchSize = 32, maxEpochs = 100, patience = 10, standardize = true } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  const rng = new Rng(options.seed ?? 0);
  const probe = MlpProbe.create(dim, hidden, rng, standardize ? featureStandardization(train.features) : undefined);
  const adam = new Adam(probe.params.length, { weightDecay });
  const order = Array.from({ length: n }, (_, i) => i);
  const hasValidation = validation !== null && validation.features.length > 0;
  const runEpoch = (epoch: number) => {
    rng.shuffle(order);
    let trainLoss = 0;
    for (let from = 0; from < n; from += batchSize) {
      const to = Math.min(n, from + batchSize);
      trainLoss += probe.lossAndGradient(train.features, train.labels, order, from, to) * (to - from);
      adam.step(probe.params, probe.grad, learningRate);
    }
    return { epoch, trainLoss: trainLoss / n, validationLoss: hasValidation ? probe.loss(validation!.features, validation!.labels) : null };
  };
  return { probe, runEpoch, maxEpochs, patience };
}

/** Trains a probe with AdamW minibatches, early stopping on the validation loss when validation data is given. */
export function trainProbe(train: LabelledFeatures, validation: LabelledFeatures | null, options: ProbeTrainingOptions = {}): ProbeTrainingResult {
  const { probe, runEpoch, maxEpochs, patience } = probeTraining(train, validation, options);
  const { history, bestEpoch } = runWithEarlyStopping(probe.params, maxEpochs, patience, runEpoch, options.onEpoch);
  return { probe, epochs: history.length, bestEpoch, history };
}

/**
 * trainProbe, yielding to the event loop after every epoch (and calling onEpoch there), for services that train in
 * their own process; the same seed gives the same probe as trainProbe.
 */
export async function trainProbeAsync(train: LabelledFeatures, validation: LabelledFeatures | null, options: ProbeTrainingOptions = {}): Promise<ProbeTrainingResult> {
  const { probe, runEpoch, maxEpochs, patience } = probeTraining(train, validation, options);
  const { history, bestEpoch } = await runWithEarlyStoppingAsync(probe.params, maxEpochs, patience, runEpoch, async (record) => {
    options.onEpoch?.(record);
    await new Promise((resolve) => setImmediate(resolve));
  });
  return { probe, epochs: history.length, bestEpoch, history };
}

/** Per-dimension mean and standard deviation (population), with σ floored at 1e-6 for constant features. */
export function featureStandardization(features: ReadonlyArray<ArrayLike<number>>): { mean: Float64Array; std: Float64Array } {
  const d = features[0].length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const x of features) for (let j = 0; j < d; j++) mean[j] += x[j] / features.length;
  for (const x of features) for (let j = 0; j < d; j++) std[j] += (x[j] - mean[j]) ** 2 / features.length;
  for (let j = 0; j < d; j++) std[j] = Math.max(1e-6, Math.sqrt(std[j]));
  return { mean, std };
}
