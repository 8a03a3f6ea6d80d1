/**
 * SARSA training of the dead-end value head Q_D on frozen hidden states (spec §2.3), pure: trajectories in, head
 * parameters out, state snapshots for durable jobs (a resumed trainer continues bit for bit).
 *
 * A trajectory is one rollout of L: its actions a_0 … a_{T−1} (the generated tokens, EOS included when the
 * rollout ended with it: pitfall 7), the final hidden state h_t of each state s_t it acted from (s_0 = the prompt,
 * s_t = prompt ⊕ a_<t), and its terminal reward (−1 toxic, 0 not). Per optimiser step, over a batch of trajectories:
 *   y_t = clamp(γ·Q_target(s_{t+1}, a_{t+1}), −1, 0),  y_{T−1} = r,  loss = mean_t (Q(s_t, a_t) − y_t)²,
 * one Adam step on the online head, then θ_target ← α·θ + (1 − α)·θ_target (Polyak). Q = −σ(u) keeps every value
 * in (−1, 0) (pitfall 4). Prompt tokens are not actions here (L did not choose them).
 *
 * The regression loss (`loss`): `squared` is the reference's (Q − y)²; `cross-entropy` (default) is the binary
 * cross-entropy between −Q = σ(u) and the soft label −y ∈ [0, 1]. Both are proper scoring rules with the same
 * minimiser (the conditional mean of the TD target, so the same fixed point), but the squared error's gradient
 * through the bound vanishes as σ(u) saturates (a rare token pushed to Q ≈ 0 early never comes back), while the
 * cross-entropy's gradient w.r.t. u is simply (y − Q)/n. The reported loss is the squared TD error either way.
 */
import { Adam } from '../nn/adam';
import { Rng, RngState } from '../rng';
import { QHeadLayout, qHeadTaken, qHeadTakenBackward } from './q-head';
import { polyakUpdate, sarsaLambdaTargets } from './sarsa';

export interface QTrajectory {
  /** [T × D] hidden states h_0 … h_{T−1}. */
  hidden: Float32Array;
  actions: ArrayLike<number>;
  /** Terminal reward: −1 (toxic) or 0. */
  reward: number;
}

export interface QTrainerOptions {
  learningRate: number;
  /** α of the Polyak update. */
  polyak: number;
  gamma: number;
  /** Trajectories per optimiser step. */
  batchSize: number;
  seed: number;
  /** Default cross-entropy (see the file comment). */
  loss?: 'squared' | 'cross-entropy';
  /** SARSA(λ) (see sarsaLambdaTargets); default 0, one-step SARSA as the reference. */
  lambda?: number;
}

export interface QTrainerState {
  params: Float64Array;
  target: Float64Array;
  adamStep: number;
  adamM: Float64Array;
  adamV: Float64Array;
  rng: RngState;
  epoch: number;
  /** Position in `order` of the next batch. */
  position: number;
  order: number[];
  steps: number;
}

export class QTrainer {
  readonly params: Float64Array;
  readonly target: Float64Array;
  private readonly adam: Adam;
  private readonly grad: Float64Array;
  private rng: Rng;
  epoch = 0;
  steps = 0;
  private position = 0;
  private order: number[];

  constructor(
    readonly layout: QHeadLayout,
    private readonly trajectories: readonly QTrajectory[],
    private readonly options: QTrainerOptions,
    init: Float64Array | QTrainerState,
  ) {
    if (trajectories.length === 0) throw new RangeError('Q training needs at least one trajectory');
    for (const t of trajectories) {
      if (t.actions.length === 0 || t.hidden.length !== t.actions.length * layout.inDim) throw new RangeError(`a trajectory needs T ≥ 1 actions and T × ${layout.inDim} hidden values`);
    }
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be ≥ 1');
    this.adam = new Adam(layout.size);
    this.grad = new Float64Array(layout.size);
    if (init instanceof Float64Array) {
      if (init.length !== layout.size) throw new RangeError(`${init.length} parameters for a head of ${layout.size}`);
      this.params = Float64Array.from(init);
      this.target = Float64Array.from(init);
      this.rng = new Rng(options.seed);
      this.order = this.rng.shuffle(Array.from({ length: trajectories.length }, (_, i) => i));
    } else {
      this.params = Float64Array.from(init.params);
      this.target = Float64Array.from(init.target);
      this.adam.load({ step: init.adamStep, m: init.adamM as unknown as number[], v: init.adamV as unknown as number[] });
      this.rng = Rng.fromState(init.rng);
      this.epoch = init.epoch;
      this.position = init.position;
      this.order = [...init.order];
      this.steps = init.steps;
    }
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.trajectories.length / this.options.batchSize);
  }

  /** One optimiser step on the next batch; returns its TD loss (before the step). */
  step(): number {
    if (this.position >= this.order.length) {
      this.epoch++;
      this.position = 0;
      this.order = this.rng.shuffle(this.order);
    }
    const batch = this.order.slice(this.position, this.position + this.options.batchSize).map((i) => this.trajectories[i]);
    this.position += batch.length;
    const { layout, params, grad } = this;
    grad.fill(0);
    let actions = 0;
    for (const t of batch) actions += t.actions.length;
    let loss = 0;
    for (const t of batch) {
      const y = this.targetsOf(t);
      for (let k = 0; k < t.actions.length; k++) {
        const q = qHeadTaken(params, layout, t.hidden, k * layout.inDim, t.actions[k]);
        const d = q - y[k];
        loss += d * d;
        if (this.options.loss === 'squared') qHeadTakenBackward(params, grad, layout, t.hidden, k * layout.inDim, t.actions[k], (2 * d) / actions);
        else qHeadTakenBackward(params, grad, layout, t.hidden, k * layout.inDim, t.actions[k], -d / actions, 'raw');
      }
    }
    this.adam.step(params, grad, this.options.learningRate);
    polyakUpdate(this.target, params, this.options.polyak);
    this.steps++;
    return loss / actions;
  }

  /** Mean squared TD error of the current heads over `trajectories` (validation). */
  tdLoss(trajectories: readonly QTrajectory[]): number {
    let loss = 0;
    let n = 0;
    for (const t of trajectories) {
      const y = this.targetsOf(t);
      for (let k = 0; k < t.actions.length; k++) {
        const d = qHeadTaken(this.params, this.layout, t.hidden, k * this.layout.inDim, t.actions[k]) - y[k];
        loss += d * d;
        n++;
      }
    }
    return n === 0 ? NaN : loss / n;
  }

  snapshot(): QTrainerState {
    return {
      params: Float64Array.from(this.params),
      target: Float64Array.from(this.target),
      adamStep: this.adam.stepCount,
      adamM: Float64Array.from(this.adam.m),
      adamV: Float64Array.from(this.adam.v),
      rng: this.rng.getState(),
      epoch: this.epoch,
      position: this.position,
      order: [...this.order],
      steps: this.steps,
    };
  }

  private targetsOf(t: QTrajectory): Float64Array {
    const taken = new Float64Array(t.actions.length);
    for (let k = 0; k < t.actions.length; k++) taken[k] = qHeadTaken(this.target, this.layout, t.hidden, k * this.layout.inDim, t.actions[k]);
    return sarsaLambdaTargets(taken, t.reward, this.options.lambda ?? 0, this.options.gamma);
  }
}
