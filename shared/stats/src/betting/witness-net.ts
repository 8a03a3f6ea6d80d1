/**
 * The witness network h of the behavioural-shift audit (spec shared/specs/auditing.md §2, `CMLP`):
 *   Linear(1→H) → LayerNorm → ReLU → Linear(H→H) → LayerNorm → ReLU → Linear(H→1),  H = 32 in the paper.
 * Plain Float64Array math with hand-written backprop and Adam (PyTorch's defaults and update rule), so it is
 * deterministic, serialisable and fast enough to retrain after every audit batch.
 *
 * The bet on a pair (s1, s2) is the factor 1 + φ(s1) − φ(s2) with φ = ½·tanh∘h, and ℓ = log of that factor.
 * φ is clipped to [−½ + δ, ½ − δ] before use: the same fixed function is applied to both coordinates, so
 * E[φ(s1) − φ(s2)] = 0 still holds under equal marginals (validity is untouched) while the factor stays ≥ 2δ and
 * ℓ is never −∞ or NaN, even when tanh saturates in floating point.
 */
import { Rng } from '../rng';

const LN_EPS = 1e-5; // PyTorch LayerNorm default
export const PHI_CLIP = 1e-9;
const PHI_MAX = 0.5 - PHI_CLIP;

export interface AdamState {
  step: number;
  m: number[];
  v: number[];
}

export interface WitnessNetState {
  hidden: number;
  params: number[];
  adam: AdamState;
}

interface Cache {
  x: number;
  xhat1: Float64Array;
  y1: Float64Array;
  a1: Float64Array;
  invStd1: number;
  xhat2: Float64Array;
  y2: Float64Array;
  a2: Float64Array;
  invStd2: number;
}

function newCache(h: number): Cache {
  const f = () => new Float64Array(h);
  return { x: 0, xhat1: f(), y1: f(), a1: f(), invStd1: 0, xhat2: f(), y2: f(), a2: f(), invStd2: 0 };
}

export class WitnessNet {
  readonly hidden: number;
  readonly params: Float64Array;
  readonly grad: Float64Array;
  private readonly adamM: Float64Array;
  private readonly adamV: Float64Array;
  private adamStep = 0;
  // Parameter offsets inside `params` (and `grad`).
  private readonly oW1: number;
  private readonly oB1: number;
  private readonly oG1: number;
  private readonly oBe1: number;
  private readonly oW2: number;
  private readonly oB2: number;
  private readonly oG2: number;
  private readonly oBe2: number;
  private readonly oW3: number;
  private readonly oB3: number;
  private readonly cacheA: Cache;
  private readonly cacheB: Cache;
  private readonly scratchZ: Float64Array;
  private readonly scratchD: Float64Array;
  private readonly scratchD2: Float64Array;

  /** A freshly initialised net: PyTorch's Linear init U(−1/√fan_in, 1/√fan_in) for weights and biases, LayerNorm γ=1, β=0. */
  constructor(hidden: number, rng: Rng) {
    if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`hidden size must be an integer >= 1, got ${hidden}`);
    this.hidden = hidden;
    const h = hidden;
    let o = 0;
    const take = (n: number) => {
      const at = o;
      o += n;
      return at;
    };
    this.oW1 = take(h);
    this.oB1 = take(h);
    this.oG1 = take(h);
    this.oBe1 = take(h);
    this.oW2 = take(h * h);
    this.oB2 = take(h);
    this.oG2 = take(h);
    this.oBe2 = take(h);
    this.oW3 = take(h);
    this.oB3 = take(1);
    this.params = new Float64Array(o);
    this.grad = new Float64Array(o);
    this.adamM = new Float64Array(o);
    this.adamV = new Float64Array(o);
    this.cacheA = newCache(h);
    this.cacheB = newCache(h);
    this.scratchZ = new Float64Array(h);
    this.scratchD = new Float64Array(h);
    this.scratchD2 = new Float64Array(h);
    const p = this.params;
    const fill = (at: number, n: number, bound: number) => {
      for (let i = 0; i < n; i++) p[at + i] = (2 * rng.next() - 1) * bound;
    };
    fill(this.oW1, h, 1);
    fill(this.oB1, h, 1);
    p.fill(1, this.oG1, this.oG1 + h);
    fill(this.oW2, h * h, 1 / Math.sqrt(h));
    fill(this.oB2, h, 1 / Math.sqrt(h));
    p.fill(1, this.oG2, this.oG2 + h);
    fill(this.oW3, h, 1 / Math.sqrt(h));
    fill(this.oB3, 1, 1 / Math.sqrt(h));
  }

  get parameterCount(): number {
    return this.params.length;
  }

  /** h(x), caching what backprop needs. */
  private forwardCached(x: number, c: Cache): number {
    const h = this.hidden;
    const p = this.params;
    const z = this.scratchZ;
    const oW1 = this.oW1;
    const oB1 = this.oB1;
    c.x = x;
    for (let i = 0; i < h; i++) z[i] = p[oW1 + i] * x + p[oB1 + i];
    c.invStd1 = layerNorm(z, c.xhat1, c.y1, c.a1, p, this.oG1, this.oBe1, h);
    const w2 = this.oW2;
    const b2 = this.oB2;
    const a1 = c.a1;
    for (let i = 0; i < h; i++) {
      let s = p[b2 + i];
      const row = w2 + i * h;
      for (let j = 0; j < h; j++) s += p[row + j] * a1[j];
      z[i] = s;
    }
    c.invStd2 = layerNorm(z, c.xhat2, c.y2, c.a2, p, this.oG2, this.oBe2, h);
    const oW3 = this.oW3;
    let out = p[this.oB3];
    const a2 = c.a2;
    for (let i = 0; i < h; i++) out += p[oW3 + i] * a2[i];
    return out;
  }

  /** h(x). */
  forward(x: number): number {
    return this.forwardCached(x, this.cacheA);
  }

  /** φ(x) = ½·tanh(h(x)), clipped to [−½ + δ, ½ − δ]. */
  phi(x: number): number {
    return clipPhi(0.5 * Math.tanh(this.forward(x)));
  }

  /** Accumulate ∂/∂θ of `dh`·h(x) into `grad`, for the input cached in `c`. */
  private backward(c: Cache, dh: number): void {
    const h = this.hidden;
    const p = this.params;
    const g = this.grad;
    const d = this.scratchD;
    const d2 = this.scratchD2;
    const { a1, a2, y1, y2 } = c;
    const oW3 = this.oW3;
    g[this.oB3] += dh;
    for (let i = 0; i < h; i++) {
      g[oW3 + i] += dh * a2[i];
      d[i] = y2[i] > 0 ? dh * p[oW3 + i] : 0; // through ReLU 2
    }
    layerNormBackward(d, c.xhat2, c.invStd2, p, g, this.oG2, this.oBe2, h); // d now holds ∂/∂z2
    const w2 = this.oW2;
    const b2 = this.oB2;
    d2.fill(0);
    for (let i = 0; i < h; i++) {
      const di = d[i];
      if (di === 0) continue;
      g[b2 + i] += di;
      const row = w2 + i * h;
      for (let j = 0; j < h; j++) {
        g[row + j] += di * a1[j];
        d2[j] += p[row + j] * di;
      }
    }
    for (let j = 0; j < h; j++) if (!(y1[j] > 0)) d2[j] = 0; // through ReLU 1
    layerNormBackward(d2, c.xhat1, c.invStd1, p, g, this.oG1, this.oBe1, h);
    const oW1 = this.oW1;
    const oB1 = this.oB1;
    const x = c.x;
    for (let i = 0; i < h; i++) {
      g[oW1 + i] += d2[i] * x;
      g[oB1 + i] += d2[i];
    }
  }

  /** Σ_i ℓ(s1_i, s2_i) over pairs stored flat as [s1_0, s2_0, s1_1, s2_1, ...], indices `idx` (all if omitted). */
  sumLogPayoff(flat: ArrayLike<number>, idx?: ArrayLike<number>): number {
    const n = idx ? idx.length : flat.length / 2;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const i = idx ? idx[k] : k;
      sum += Math.log(1 + this.phi(flat[2 * i]) - this.phi(flat[2 * i + 1]));
    }
    return sum;
  }

  /**
   * Gradient of the loss −mean(ℓ) over the selected pairs, written into `grad` (overwritten). Returns the loss.
   */
  lossAndGradient(flat: ArrayLike<number>, idx: ArrayLike<number>, from = 0, to = idx.length): number {
    this.grad.fill(0);
    const m = to - from;
    let sumLog = 0;
    for (let k = from; k < to; k++) {
      const i = idx[k];
      const h1 = this.forwardCached(flat[2 * i], this.cacheA);
      const h2 = this.forwardCached(flat[2 * i + 1], this.cacheB);
      const t1 = Math.tanh(h1);
      const t2 = Math.tanh(h2);
      const phi1 = 0.5 * t1;
      const phi2 = 0.5 * t2;
      const f = 1 + clipPhi(phi1) - clipPhi(phi2);
      sumLog += Math.log(f);
      // ∂(−ℓ/m)/∂h = ∓ ½(1 − tanh²h) / (f·m); zero where φ was clipped.
      const dh1 = Math.abs(phi1) < PHI_MAX ? (-0.5 * (1 - t1 * t1)) / (f * m) : 0;
      const dh2 = Math.abs(phi2) < PHI_MAX ? (0.5 * (1 - t2 * t2)) / (f * m) : 0;
      if (dh1 !== 0) this.backward(this.cacheA, dh1);
      if (dh2 !== 0) this.backward(this.cacheB, dh2);
    }
    return -sumLog / m;
  }

  /** One Adam update with the gradient in `grad` (β = (0.9, 0.999), eps 1e-8, no weight decay; PyTorch's rule). */
  adamUpdate(learningRate: number): void {
    const beta1 = 0.9;
    const beta2 = 0.999;
    this.adamStep++;
    const bc1 = 1 - Math.pow(beta1, this.adamStep);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, this.adamStep));
    const stepSize = learningRate / bc1;
    const p = this.params;
    const g = this.grad;
    const m = this.adamM;
    const v = this.adamV;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + 1e-8);
    }
  }

  toJSON(): WitnessNetState {
    return { hidden: this.hidden, params: Array.from(this.params), adam: { step: this.adamStep, m: Array.from(this.adamM), v: Array.from(this.adamV) } };
  }

  static fromJSON(state: WitnessNetState): WitnessNet {
    const net = new WitnessNet(state.hidden, new Rng(0));
    const n = net.params.length;
    if (state.params.length !== n || state.adam.m.length !== n || state.adam.v.length !== n) {
      throw new RangeError(`witness state for hidden=${state.hidden} must hold ${n} parameters`);
    }
    net.params.set(state.params);
    net.adamM.set(state.adam.m);
    net.adamV.set(state.adam.v);
    net.adamStep = state.adam.step;
    return net;
  }
}

export function clipPhi(phi: number): number {
  return phi > PHI_MAX ? PHI_MAX : phi < -PHI_MAX ? -PHI_MAX : phi;
}

/** LayerNorm + ReLU forward over z; returns 1/σ. */
function layerNorm(
  z: Float64Array, xhat: Float64Array, y: Float64Array, a: Float64Array,
  p: Float64Array, oGamma: number, oBeta: number, h: number,
): number {
  let mu = 0;
  for (let i = 0; i < h; i++) mu += z[i];
  mu /= h;
  let varSum = 0;
  for (let i = 0; i < h; i++) {
    const dz = z[i] - mu;
    varSum += dz * dz;
  }
  const invStd = 1 / Math.sqrt(varSum / h + LN_EPS);
  for (let i = 0; i < h; i++) {
    const xh = (z[i] - mu) * invStd;
    xhat[i] = xh;
    const yi = p[oGamma + i] * xh + p[oBeta + i];
    y[i] = yi;
    a[i] = yi > 0 ? yi : 0;
  }
  return invStd;
}

/** In place: `d` holds ∂/∂y on entry and ∂/∂z on exit; accumulates ∂/∂γ, ∂/∂β. */
function layerNormBackward(
  d: Float64Array, xhat: Float64Array, invStd: number,
  p: Float64Array, g: Float64Array, oGamma: number, oBeta: number, h: number,
): void {
  let meanD = 0;
  let meanDX = 0;
  for (let i = 0; i < h; i++) {
    const dy = d[i];
    g[oGamma + i] += dy * xhat[i];
    g[oBeta + i] += dy;
    const dxh = dy * p[oGamma + i];
    d[i] = dxh;
    meanD += dxh;
    meanDX += dxh * xhat[i];
  }
  meanD /= h;
  meanDX /= h;
  for (let i = 0; i < h; i++) d[i] = invStd * (d[i] - meanD - xhat[i] * meanDX);
}
