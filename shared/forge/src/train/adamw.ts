import { tf } from './tf-backend';
import type { GptParameter } from './gpt-model';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (Loshchilov & Hutter), applied as p -= lr·wd·p to decaying parameters. */
  weightDecay: number;
}

export interface AdamWState {
  /** Number of updates taken (bias correction uses it). */
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/**
 * AdamW written out by hand: tf's adam has no decoupled weight decay, and owning the moments lets
 * a checkpoint carry them by parameter name.
 */
export class AdamW {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: readonly GptParameter[], private readonly config: AdamWConfig) {
    for (const p of params) {
      this.m.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
      this.v.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /** One update with `grads` keyed by parameter name, at learning rate `lr`. */
  apply(grads: Record<string, tf.Tensor>, lr: number): void {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const p of this.params) {
        const g = grads[p.name];
        if (!g) continue;
        const m = this.m.get(p.name)!;
        const v = this.v.get(p.name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        let next = tf.sub(p.variable, tf.mul(update, lr));
        if (p.decay && weightDecay > 0) next = tf.sub(next, tf.mul(p.variable, lr * weightDecay));
        p.variable.assign(next);
      }
    });
  }

  getState(): AdamWState {
    const dump = (vars: Map<string, tf.Variable>): Record<string, Float32Array> => {
      const out: Record<string, Float32Array> = {};
      for (const [name, variable] of vars) out[name] = new Float32Array(variable.dataSync() as Float32Array);
      return out;
    };
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamWState): void {
    const load = (vars: Map<string, tf.Variable>, data: Record<string, Float32Array>, which: string): void => {
      for (const [name, variable] of vars) {
        const values = data[name];
        if (!values || values.length !== variable.size) throw new Error(`optimizer state ${which}[${name}] missing or mis-sized`);
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      }
    };
    load(this.m, state.m, 'm');
    load(this.v, state.v, 'v');
    this.step = state.step;
  }

  dispose(): void {
    for (const variable of [...this.m.values(), ...this.v.values()]) variable.dispose();
  }
}
