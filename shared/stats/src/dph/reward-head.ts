/**
 * The reward head of spec shared/specs/dph.md §1 on a frozen backbone (§7): the final-norm hidden state x at the
 * assistant's last end-of-turn token goes through a pooler, then a bias-free Linear(d, 1):
 *   `identity`:   r = w·x
 *   `dense-tanh`: r = w·tanh(W·x + b)   (the `bert` pooler; dropout 0)
 * Initialisation as `_init_weights`: Normal(0, 0.02) weights, zero biases. Float64 parameters; features may be
 * Float32Arrays (what the runtime returns).
 */
import { DenseLayer, denseBackward, denseForward, denseStack, initNormal } from '../nn/dense';
import { Rng } from '../rng';

export type PoolerKind = 'identity' | 'dense-tanh';
export const POOLER_KINDS: readonly PoolerKind[] = ['identity', 'dense-tanh'];

export interface RewardHeadState {
  kind: 'dph-head';
  version: 1;
  dim: number;
  pooler: PoolerKind;
  params: number[];
}

export class RewardHead {
  readonly params: Float64Array;
  readonly grad: Float64Array;
  private readonly poolerLayer: DenseLayer | null;
  private readonly headLayer: DenseLayer;
  private readonly pooled: Float64Array;
  private readonly dPooled: Float64Array;
  private readonly dReward = new Float64Array(1);

  constructor(readonly dim: number, readonly pooler: PoolerKind) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`feature size must be an integer >= 1, got ${dim}`);
    if (!POOLER_KINDS.includes(pooler)) throw new RangeError(`pooler must be one of ${POOLER_KINDS.join(', ')}, got ${pooler}`);
    const poolerStack = pooler === 'dense-tanh' ? denseStack([dim, dim]) : { layers: [], end: 0 };
    this.poolerLayer = poolerStack.layers[0] ?? null;
    const head = denseStack([dim, 1], false, poolerStack.end);
    this.headLayer = head.layers[0];
    this.params = new Float64Array(head.end);
    this.grad = new Float64Array(head.end);
    this.pooled = new Float64Array(dim);
    this.dPooled = new Float64Array(dim);
  }

  /** A freshly initialised head: Normal(0, std) weights, zero biases. */
  static create(dim: number, pooler: PoolerKind, rng: Rng, std = 0.02): RewardHead {
    const head = new RewardHead(dim, pooler);
    if (head.poolerLayer) initNormal(head.params, head.poolerLayer, rng, std);
    initNormal(head.params, head.headLayer, rng, std);
    return head;
  }

  /** r(x); leaves the pooled vector for `accumulateGradient`. */
  reward(x: ArrayLike<number>): number {
    if (x.length !== this.dim) throw new RangeError(`feature vector has ${x.length} entries, the head expects ${this.dim}`);
    const pooled = this.pooled;
    if (this.poolerLayer) {
      denseForward(this.params, this.poolerLayer, x, 0, pooled, 0);
      for (let i = 0; i < this.dim; i++) pooled[i] = Math.tanh(pooled[i]);
    } else for (let i = 0; i < this.dim; i++) pooled[i] = x[i];
    const { oW } = this.headLayer;
    let r = 0;
    for (let i = 0; i < this.dim; i++) r += this.params[oW + i] * pooled[i];
    return r;
  }

  /** Rewards of many feature vectors. */
  rewards(xs: ReadonlyArray<ArrayLike<number>>): Float64Array {
    return Float64Array.from(xs, (x) => this.reward(x));
  }

  /** Adds dr·∂r(x)/∂θ into `grad` (recomputes the forward pass of x). */
  accumulateGradient(x: ArrayLike<number>, dr: number): void {
    this.reward(x);
    const { pooled, dPooled } = this;
    this.dReward[0] = dr;
    denseBackward(this.params, this.grad, this.headLayer, pooled, 0, this.dReward, 0, this.poolerLayer ? dPooled : null, 0);
    if (!this.poolerLayer) return;
    for (let i = 0; i < this.dim; i++) dPooled[i] *= 1 - pooled[i] * pooled[i]; // through tanh
    denseBackward(this.params, this.grad, this.poolerLayer, x, 0, dPooled, 0, null, 0);
  }

  toJSON(): RewardHeadState {
    return { kind: 'dph-head', version: 1, dim: this.dim, pooler: this.pooler, params: Array.from(this.params) };
  }

  static fromJSON(state: RewardHeadState): RewardHead {
    if (state.kind !== 'dph-head' || state.version !== 1) throw new RangeError(`not a reward head state (kind ${state.kind}, version ${state.version})`);
    const head = new RewardHead(state.dim, state.pooler);
    if (state.params.length !== head.params.length) throw new RangeError(`reward head state holds ${state.params.length} parameters, expected ${head.params.length}`);
    head.params.set(state.params);
    return head;
  }
}
