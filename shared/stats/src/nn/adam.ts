/**
 * Adam and AdamW on a flat Float64Array of parameters, with PyTorch's update rule (torch.optim.Adam / AdamW,
 * amsgrad off):
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   θ ← θ − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps),
 * and for AdamW the decoupled decay θ ← θ·(1 − lr·λ) first. The small models of this library (witness net,
 * calibration probe, reward head) all train with it, so their optimiser state serialises the same way.
 */

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay λ (AdamW); 0 = plain Adam. */
  weightDecay?: number;
}

export interface AdamState {
  step: number;
  m: number[];
  v: number[];
}

export class Adam {
  readonly m: Float64Array;
  readonly v: Float64Array;
  stepCount = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;

  constructor(size: number, options: AdamOptions = {}) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) throw new RangeError('Adam betas must lie in [0, 1)');
    if (!(this.eps > 0) || !(this.weightDecay >= 0)) throw new RangeError('Adam eps must be > 0 and weight decay >= 0');
  }

  /** One update of `params` with `grad` (same length as the optimiser). */
  step(params: Float64Array, grad: Float64Array, learningRate: number): void {
    const { beta1, beta2, eps, m, v } = this;
    this.stepCount++;
    const bc1 = 1 - Math.pow(beta1, this.stepCount);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, this.stepCount));
    const stepSize = learningRate / bc1;
    const decay = 1 - learningRate * this.weightDecay;
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const gi = grad[i];
      if (this.weightDecay !== 0) params[i] *= decay;
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
    }
  }

  toJSON(): AdamState {
    return { step: this.stepCount, m: Array.from(this.m), v: Array.from(this.v) };
  }

  /** Restores moments and step count saved by toJSON (the hyperparameters come from the constructor). */
  load(state: AdamState): this {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError(`Adam state holds ${state.m.length} moments, expected ${this.m.length}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`Adam step must be an integer >= 0, got ${state.step}`);
    this.m.set(state.m);
    this.v.set(state.v);
    this.stepCount = state.step;
    return this;
  }
}
