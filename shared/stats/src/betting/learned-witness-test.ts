/**
 * The learned-witness betting test (deep anytime-valid test with a tolerance, spec auditing.md §2).
 *
 * Batch k's e-value is B_k = exp(Σ_{i∈k} ℓ_i − ε·n_k), ℓ_i = log(1 + φ_k(s1_i) − φ_k(s2_i)), computed with the
 * net φ_k frozen. Under H0(ε): D(P1, P2) ≤ ε, E[1 + φ(s1) − φ(s2)] ≤ 1 + ε ≤ e^ε, so each B_k has conditional
 * expectation ≤ 1 and the wealth Π B_k is a supermartingale. This needs **predictability**: φ_k is trained only
 * on batches < k, with early stopping on batch k−1, exactly as the spec's pseudocode:
 *   batch 0: scored by the randomly initialised net; then train/val = 80/20 split of batch 0.
 *   batch k ≥ 1: train (≤ maxEpochs Adam passes over `train`, early stopping on `val`), score batch k,
 *                then train ← train ∪ val, val ← batch k.
 * The training for batch k runs lazily at the start of observeBatch(k), so a checkpoint taken between batches
 * is cheap and no training is wasted after the last batch; the trajectory is the same as training eagerly.
 * The net and Adam state carry over between rounds (warm start). Early stopping follows DAT's EarlyStopper:
 * the counter resets every round; whether its running minimum also resets is `resetBestValidationLoss`
 * (default false = the reference code, which makes later rounds stop sooner).
 * Everything is in log-wealth; the payoff factor is ≥ 2·10⁻⁹, so no NaN or −∞ can arise.
 *
 * Training budget (our deviation from the reference, `maxStepsPerRound`, default 20 Adam steps per round): the
 * reference trains up to 100 epochs over *all* past pairs before every batch; its early stopper, whose best loss
 * is never reset, then runs exactly `patience` epochs in most later rounds. A null audit of 2000 pairs in batches of
 * 50 thus makes ≈ 400k pair passes, nearly all over pairs the warm-started net has already fitted many times; with
 * 20 steps of 50 pairs per round it makes ≈ 40k, linear in the audit length (≈ 0.25 s instead of ≈ 3 s on one core)
 * and did not lower power in our simulations (uncapped → capped, same seeds; budget 2000, batch 50):
 * beta(2,8) vs beta(2.15,8): rejection rate 0.45 → 0.55 (40 runs) and 0.32 → 0.47 (60 runs); a 3 % tail shift
 * (budget 3000): every run rejects, median pairs 850 → 675 and 750 → 750; beta(2,2) vs uniform: median 200 both.
 * Validity is untouched: any training rule keeps the bets predictable.
 */
import { Rng, RngState } from '../rng';
import { cleanPairs, ScorePair, SequentialTest, StepResult, stripUndefined, validateAlpha, validateEpsilon, WealthLedger } from './sequential-test';
import { WitnessNet, WitnessNetState } from './witness-net';

export interface LearnedWitnessOptions {
  alpha?: number;
  /** Tolerance on the ½·tanh witness (IPM) scale, at most TV; charged per pair. Default 0 (exact test). */
  epsilon?: number;
  /** Hidden width H of the witness MLP (paper: 32). */
  hiddenSize?: number;
  learningRate?: number;
  /** Cap on Adam passes over the training data per round (paper: 100). */
  maxEpochs?: number;
  /** Early-stopping patience in epochs (paper: 10). */
  patience?: number;
  /** Adam minibatch size; default: the size of the first batch (the paper's consistent_bs). */
  minibatchSize?: number;
  /**
   * Train each round on at most this many of the most recent past pairs (default: all, as the paper). Bounds the
   * per-round cost, which otherwise grows with the audit; any window keeps predictability.
   */
  maxTrainingPairs?: number;
  /**
   * Cap on Adam steps per training round (default 20; null = none, the reference code). Epochs end early when the
   * cap is reached. Without it every round makes ≥ patience passes over all past pairs, so an audit's training cost
   * grows with the square of its length; with it the cost is linear. See "Training budget" above.
   */
  maxStepsPerRound?: number | null;
  /** Share of batch 0 held out for early stopping (paper: 0.2). */
  validationFraction?: number;
  /** Reset the early stopper's best validation loss each round (the reference code does not). */
  resetBestValidationLoss?: boolean;
  seed?: number | string;
}

type ResolvedOptions = Required<Omit<LearnedWitnessOptions, 'minibatchSize' | 'maxTrainingPairs' | 'maxStepsPerRound' | 'seed'>> & {
  minibatchSize: number | null;
  maxTrainingPairs: number | null;
  maxStepsPerRound: number | null;
};

export interface LearnedWitnessState {
  kind: 'witness';
  version: 1;
  options: ResolvedOptions;
  net: WitnessNetState;
  rng: RngState;
  ledger: ReturnType<WealthLedger['toJSON']>;
  /** Flat [s1, s2, ...] pairs of batches < current used for training / for early stopping. */
  train: number[];
  validation: number[];
  bestValidationLoss: number | null;
  trainingPending: boolean;
  /** Epochs actually run in each training round (diagnostics). */
  epochsPerRound: number[];
}

const DEFAULTS: ResolvedOptions = {
  alpha: 0.05,
  epsilon: 0,
  hiddenSize: 32,
  learningRate: 1e-3,
  maxEpochs: 30,
  patience: 10,
  minibatchSize: null,
  maxTrainingPairs: null,
  maxStepsPerRound: 20,
  validationFraction: 0.2,
  resetBestValidationLoss: false,
};

export class LearnedWitnessTest implements SequentialTest {
  readonly kind = 'witness' as const;
  private readonly options: ResolvedOptions;
  private readonly net: WitnessNet;
  private readonly rng: Rng;
  private readonly ledger: WealthLedger;
  private train: number[] = [];
  private validation: number[] = [];
  private bestValidationLoss = Infinity;
  private trainingPending = false;
  private readonly epochsPerRound: number[] = [];

  constructor(options: LearnedWitnessOptions = {}, restored?: { net: WitnessNet; rng: Rng; ledger: WealthLedger }) {
    const known = Object.fromEntries(Object.keys(DEFAULTS).map((key) => [key, options[key as keyof LearnedWitnessOptions]]));
    this.options = { ...DEFAULTS, ...stripUndefined(known) };
    const o = this.options;
    validateAlpha(o.alpha);
    validateEpsilon(o.epsilon);
    if (!(o.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${o.learningRate}`);
    if (!Number.isInteger(o.maxEpochs) || o.maxEpochs < 0) throw new RangeError(`maxEpochs must be an integer >= 0, got ${o.maxEpochs}`);
    if (!Number.isInteger(o.patience) || o.patience < 1) throw new RangeError(`patience must be an integer >= 1, got ${o.patience}`);
    if (!(o.validationFraction > 0 && o.validationFraction < 1)) throw new RangeError('validationFraction must lie in (0, 1)');
    if (o.minibatchSize !== null && (!Number.isInteger(o.minibatchSize) || o.minibatchSize < 1)) throw new RangeError('minibatchSize must be an integer >= 1');
    if (o.maxTrainingPairs !== null && (!Number.isInteger(o.maxTrainingPairs) || o.maxTrainingPairs < 1)) throw new RangeError('maxTrainingPairs must be an integer >= 1');
    if (o.maxStepsPerRound !== null && (!Number.isInteger(o.maxStepsPerRound) || o.maxStepsPerRound < 1)) throw new RangeError('maxStepsPerRound must be an integer >= 1 or null');
    this.rng = restored?.rng ?? new Rng(options.seed ?? 0);
    this.net = restored?.net ?? new WitnessNet(o.hiddenSize, this.rng);
    this.ledger = restored?.ledger ?? new WealthLedger(Math.log(1 / o.alpha));
  }

  get logWealth(): number {
    return this.ledger.logWealth;
  }
  get logThreshold(): number {
    return this.ledger.logThreshold;
  }
  get rejected(): boolean {
    return this.ledger.rejected;
  }
  get samplesUsed(): number {
    return this.ledger.samplesUsed;
  }
  get samplesToReject(): number | null {
    return this.ledger.samplesToReject;
  }
  get history() {
    return this.ledger.history;
  }
  /** Epochs run in each training round so far. */
  get epochs(): readonly number[] {
    return this.epochsPerRound;
  }
  /** The current witness φ(s) = ½·tanh h(s) (for plots and diagnostics). */
  witness(score: number): number {
    return this.net.phi(score);
  }

  observeBatch(pairs: ReadonlyArray<ScorePair>): StepResult {
    const { flat, dropped } = cleanPairs(pairs);
    if (this.ledger.rejected || flat.length === 0) return this.ledger.ignoredStep(dropped);
    if (this.trainingPending) this.runTrainingRound();
    const n = flat.length / 2;
    const logE = this.net.sumLogPayoff(flat) - this.options.epsilon * n;
    this.ledger.logWealth += logE;
    const step = this.ledger.record(n, dropped, logE, this.ledger.logWealth >= this.ledger.logThreshold);
    this.absorb(flat);
    this.trainingPending = !this.ledger.rejected;
    return step;
  }

  /** Moves the just-scored batch into the training bookkeeping (the split of batch 0, then val → train). */
  private absorb(flat: number[]): void {
    if (this.ledger.batches === 1) {
      const n = flat.length / 2;
      const order = this.rng.shuffle(Array.from({ length: n }, (_, i) => i));
      const nVal = Math.ceil(this.options.validationFraction * n); // sklearn's train_test_split rounding
      for (let k = 0; k < n; k++) {
        const i = order[k];
        (k < nVal ? this.validation : this.train).push(flat[2 * i], flat[2 * i + 1]);
      }
      return;
    }
    for (const v of this.validation) this.train.push(v);
    this.validation = flat;
  }

  private runTrainingRound(): void {
    this.trainingPending = false;
    const o = this.options;
    const nAll = this.train.length / 2;
    const first = o.maxTrainingPairs === null ? 0 : Math.max(0, nAll - o.maxTrainingPairs);
    const nTrain = nAll - first;
    if (nTrain === 0 || o.maxEpochs === 0) {
      this.epochsPerRound.push(0);
      return;
    }
    const minibatch = o.minibatchSize ?? firstBatchSize(this.ledger);
    const order = Array.from({ length: nTrain }, (_, i) => first + i);
    if (o.resetBestValidationLoss) this.bestValidationLoss = Infinity;
    let counter = 0;
    let epochs = 0;
    const maxSteps = o.maxStepsPerRound ?? Infinity;
    let steps = 0;
    for (let epoch = 0; epoch < o.maxEpochs && steps < maxSteps; epoch++) {
      this.rng.shuffle(order);
      for (let from = 0; from < nTrain && steps < maxSteps; from += minibatch) {
        this.net.lossAndGradient(this.train, order, from, Math.min(nTrain, from + minibatch));
        this.net.adamUpdate(o.learningRate);
        steps++;
      }
      epochs++;
      if (this.validation.length === 0) continue;
      const valLoss = -this.net.sumLogPayoff(this.validation) / (this.validation.length / 2);
      // DAT's EarlyStopper(min_delta = 0): improvement resets the counter, a worse loss counts, a tie does neither.
      if (valLoss < this.bestValidationLoss) {
        this.bestValidationLoss = valLoss;
        counter = 0;
      } else if (valLoss > this.bestValidationLoss) {
        counter++;
        if (counter >= o.patience) break;
      }
    }
    this.epochsPerRound.push(epochs);
  }

  toJSON(): LearnedWitnessState {
    return {
      kind: 'witness',
      version: 1,
      options: { ...this.options },
      net: this.net.toJSON(),
      rng: this.rng.getState(),
      ledger: this.ledger.toJSON(),
      train: [...this.train],
      validation: [...this.validation],
      bestValidationLoss: Number.isFinite(this.bestValidationLoss) ? this.bestValidationLoss : null,
      trainingPending: this.trainingPending,
      epochsPerRound: [...this.epochsPerRound],
    };
  }

  static fromJSON(state: LearnedWitnessState): LearnedWitnessTest {
    if (state.kind !== 'witness' || state.version !== 1) throw new RangeError(`not a witness test state (kind ${state.kind}, version ${state.version})`);
    const { minibatchSize, maxTrainingPairs, maxStepsPerRound, ...rest } = state.options;
    const test = new LearnedWitnessTest(
      // A state saved before the step cap existed has no key and resumes uncapped, on its original schedule.
      { ...rest, minibatchSize: minibatchSize ?? undefined, maxTrainingPairs: maxTrainingPairs ?? undefined, maxStepsPerRound: maxStepsPerRound ?? null },
      {
        net: WitnessNet.fromJSON(state.net),
        rng: Rng.fromState(state.rng),
        ledger: WealthLedger.fromJSON(Math.log(1 / state.options.alpha), state.ledger),
      },
    );
    test.train = [...state.train];
    test.validation = [...state.validation];
    test.bestValidationLoss = state.bestValidationLoss ?? Infinity;
    test.trainingPending = state.trainingPending;
    test.epochsPerRound.push(...state.epochsPerRound);
    return test;
  }
}

/** The first batch's pair count (training only ever runs after at least one batch). */
function firstBatchSize(ledger: WealthLedger): number {
  return Math.max(1, ledger.history[1]?.samples ?? ledger.samplesUsed);
}
