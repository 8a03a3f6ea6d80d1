import type { AdamWConfig, AdamWState } from './adamw';

/**
 * AdamW over plain Float32Arrays (the trainer owns the parameters in JS; engines only read them). Same update
 * and state layout as the tfjs {@link AdamW}, so checkpoints carry moments by parameter name either way.
 */
export class Float32AdamW {
  private step = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(private readonly params: ReadonlyArray<{ name: string; size: number; decay: boolean }>, private readonly config: AdamWConfig) {
    for (const p of params) {
      this.m.set(p.name, new Float32Array(p.size));
      this.v.set(p.name, new Float32Array(p.size));
    }
  }

  /** One update of `values` in place with `grads` (both by name), at learning rate `lr`, gradients pre-multiplied by `gradScale`. */
  apply(values: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) continue;
      const w = values.get(p.name)!;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      const decay = p.decay ? lr * weightDecay : 0;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] * gradScale;
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        const update = m[i] / c1 / (Math.sqrt(v[i] / c2) + epsilon);
        w[i] = w[i] - lr * update - decay * w[i];
      }
    }
  }

  getState(): AdamWState {
    const dump = (moments: Map<string, Float32Array>): Record<string, Float32Array> => Object.fromEntries([...moments].map(([k, a]) => [k, new Float32Array(a)]));
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamWState): void {
    const load = (moments: Map<string, Float32Array>, data: Record<string, Float32Array>, which: string): void => {
      for (const [name, arr] of moments) {
        const values = data[name];
        if (!values || values.length !== arr.length) throw new Error(`optimizer state ${which}[${name}] missing or mis-sized`);
        arr.set(values);
      }
    };
    load(this.m, state.m, 'm');
    load(this.v, state.v, 'v');
    this.step = state.step;
  }
}
