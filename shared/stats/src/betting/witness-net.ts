/**
 * The witness network h of the behavioural-shift audit (spec shared/specs/auditing.md §2, `CMLP`):
 *   Linear(1→H) → LayerNorm → ReLU → Linear(H→H) → LayerNorm → ReLU → Linear(H→1),  H = 32 in the paper.
 * Plain Float64Array math with hand-written backprop and Adam (PyTorch's defaults and update rule), so it is
 * deterministic, serialisable and fast enough to retrain after every audit batch. The minibatch passes live in
 * witness-kernels.ts (allocation-free, sparse over ReLU zeros, bit-identical to the straightforward per-sample
 * loops they replaced).
 *
 * The bet on a pair (s1, s2) is the factor 1 + φ(s1) − φ(s2) with φ = ½·tanh∘h, and ℓ = log of that factor.
 * φ is clipped to [−½ + δ, ½ − δ] before use: the same fixed function is applied to both coordinates, so
 * E[φ(s1) − φ(s2)] = 0 still holds under equal marginals (validity is untouched) while the factor stays ≥ 2δ and
 * ℓ is never −∞ or NaN, even when tanh saturates in floating point.
 */
import { Adam, AdamState } from '../nn/adam';
import { Rng } from '../rng';
import { backwardBatch, forwardBatch, WitnessLayout, witnessLayout, WitnessWorkspace } from './witness-kernels';

export const PHI_CLIP = 1e-9;
const PHI_MAX = 0.5 - PHI_CLIP;
/** Inputs per forward chunk when only payoffs are needed (bounds the workspace for long validation sets). */
const CHUNK = 256;

export interface WitnessNetState {
  hidden: number;
  params: number[];
  adam: AdamState;
}

export class WitnessNet {
  readonly hidden: number;
  readonly params: Float64Array;
  readonly grad: Float64Array;
  private readonly adam: Adam;
  private readonly layout: WitnessLayout;
  private readonly ws: WitnessWorkspace;

  /** A freshly initialised net: PyTorch's Linear init U(−1/√fan_in, 1/√fan_in) for weights and biases, LayerNorm γ=1, β=0. */
  constructor(hidden: number, rng: Rng) {
    if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`hidden size must be an integer >= 1, got ${hidden}`);
    this.hidden = hidden;
    const h = hidden;
    const L = witnessLayout(h);
    this.layout = L;
    this.params = new Float64Array(L.size);
    this.grad = new Float64Array(L.size);
    this.adam = new Adam(L.size);
    this.ws = new WitnessWorkspace(h);
    const p = this.params;
    const fill = (at: number, n: number, bound: number) => {
      for (let i = 0; i < n; i++) p[at + i] = (2 * rng.next() - 1) * bound;
    };
    fill(L.oW1, h, 1);
    fill(L.oB1, h, 1);
    p.fill(1, L.oG1, L.oG1 + h);
    fill(L.oW2, h * h, 1 / Math.sqrt(h));
    fill(L.oB2, h, 1 / Math.sqrt(h));
    p.fill(1, L.oG2, L.oG2 + h);
    fill(L.oW3, h, 1 / Math.sqrt(h));
    fill(L.oB3, 1, 1 / Math.sqrt(h));
  }

  get parameterCount(): number {
    return this.params.length;
  }

  /** h(x). */
  forward(x: number): number {
    this.ws.ensure(1);
    this.ws.x[0] = x;
    forwardBatch(this.params, this.layout, this.ws, 1);
    return this.ws.out[0];
  }

  /** φ(x) = ½·tanh(h(x)), clipped to [−½ + δ, ½ − δ]. */
  phi(x: number): number {
    return clipPhi(0.5 * Math.tanh(this.forward(x)));
  }

  /** Σ_i ℓ(s1_i, s2_i) over pairs stored flat as [s1_0, s2_0, s1_1, s2_1, ...], indices `idx` (all if omitted). */
  sumLogPayoff(flat: ArrayLike<number>, idx?: ArrayLike<number>): number {
    const n = idx ? idx.length : flat.length / 2;
    const ws = this.ws;
    ws.ensure(Math.min(2 * n, CHUNK));
    let sum = 0;
    for (let from = 0; from < n; from += CHUNK / 2) {
      const to = Math.min(n, from + CHUNK / 2);
      const x = ws.x;
      for (let k = from; k < to; k++) {
        const i = idx ? idx[k] : k;
        x[2 * (k - from)] = flat[2 * i];
        x[2 * (k - from) + 1] = flat[2 * i + 1];
      }
      forwardBatch(this.params, this.layout, ws, 2 * (to - from));
      const out = ws.out;
      for (let k = 0; k < to - from; k++) {
        sum += Math.log(1 + clipPhi(0.5 * Math.tanh(out[2 * k])) - clipPhi(0.5 * Math.tanh(out[2 * k + 1])));
      }
    }
    return sum;
  }

  /**
   * Gradient of the loss −mean(ℓ) over the selected pairs, written into `grad` (overwritten). Returns the loss.
   */
  lossAndGradient(flat: ArrayLike<number>, idx: ArrayLike<number>, from = 0, to = idx.length): number {
    this.grad.fill(0);
    const m = to - from;
    const ws = this.ws;
    ws.ensure(2 * m);
    const { x } = ws;
    for (let k = from; k < to; k++) {
      const i = idx[k];
      x[2 * (k - from)] = flat[2 * i];
      x[2 * (k - from) + 1] = flat[2 * i + 1];
    }
    forwardBatch(this.params, this.layout, ws, 2 * m);
    const { out, dh } = ws;
    let sumLog = 0;
    for (let k = 0; k < m; k++) {
      const t1 = Math.tanh(out[2 * k]);
      const t2 = Math.tanh(out[2 * k + 1]);
      const phi1 = 0.5 * t1;
      const phi2 = 0.5 * t2;
      const f = 1 + clipPhi(phi1) - clipPhi(phi2);
      sumLog += Math.log(f);
      // ∂(−ℓ/m)/∂h = ∓ ½(1 − tanh²h) / (f·m); zero where φ was clipped.
      dh[2 * k] = Math.abs(phi1) < PHI_MAX ? (-0.5 * (1 - t1 * t1)) / (f * m) : 0;
      dh[2 * k + 1] = Math.abs(phi2) < PHI_MAX ? (0.5 * (1 - t2 * t2)) / (f * m) : 0;
    }
    backwardBatch(this.params, this.grad, this.layout, ws, 2 * m);
    return -sumLog / m;
  }

  /** One Adam update with the gradient in `grad` (β = (0.9, 0.999), eps 1e-8, no weight decay; PyTorch's rule). */
  adamUpdate(learningRate: number): void {
    this.adam.step(this.params, this.grad, learningRate);
  }

  toJSON(): WitnessNetState {
    return { hidden: this.hidden, params: Array.from(this.params), adam: this.adam.toJSON() };
  }

  static fromJSON(state: WitnessNetState): WitnessNet {
    const net = new WitnessNet(state.hidden, new Rng(0));
    const n = net.params.length;
    if (state.params.length !== n || state.adam.m.length !== n || state.adam.v.length !== n) {
      throw new RangeError(`witness state for hidden=${state.hidden} must hold ${n} parameters`);
    }
    net.params.set(state.params);
    net.adam.load(state.adam);
    return net;
  }
}

export function clipPhi(phi: number): number {
  return phi > PHI_MAX ? PHI_MAX : phi < -PHI_MAX ? -PHI_MAX : phi;
}
