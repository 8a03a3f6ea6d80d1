/**
 * Minibatch forward and backward passes of the witness MLP (see witness-net.ts for the architecture), written
 * for speed without changing a single bit of the result.
 *
 * The audit simulator retrains the net thousands of times, so these loops are the hot path of `assay audit
 * simulate`. Two things make them fast:
 * - **ReLU sparsity**: about half of each hidden layer is exactly 0 after its ReLU, so the layer-2 product and
 *   the gradient through ReLU 1 run over per-sample lists of active units only;
 * - **register tiles**: rows are processed four at a time (one load of the input feeds four accumulators), and
 *   the W2 gradient Σ_s d_s ⊗ a_s is accumulated over the whole minibatch in 2×2 register tiles on transposed
 *   copies instead of being read and written back once per sample.
 * Every floating-point sum keeps the order of the straightforward per-sample loops this replaced (commit
 * c04271b): a skipped term is exactly 0 (x + 0 = x), and the gradient of each parameter still accumulates
 * sample by sample in minibatch order. witness-net.spec.ts checks trajectories recorded with that code, bit for bit.
 */

const LN_EPS = 1e-5; // PyTorch LayerNorm default

/** Offsets of each parameter block inside the flat parameter (and gradient) vector. */
export interface WitnessLayout {
  h: number;
  oW1: number;
  oB1: number;
  oG1: number;
  oBe1: number;
  oW2: number;
  oB2: number;
  oG2: number;
  oBe2: number;
  oW3: number;
  oB3: number;
  size: number;
}

export function witnessLayout(h: number): WitnessLayout {
  let o = 0;
  const take = (n: number) => {
    const at = o;
    o += n;
    return at;
  };
  const layout = {
    h, oW1: take(h), oB1: take(h), oG1: take(h), oBe1: take(h),
    oW2: take(h * h), oB2: take(h), oG2: take(h), oBe2: take(h),
    oW3: take(h), oB3: take(1), size: 0,
  };
  layout.size = o;
  return layout;
}

/** Activations of a minibatch of B scalar inputs (row s of each [B, h] array belongs to input s). */
export class WitnessWorkspace {
  capacity = 0;
  x = new Float64Array(0);
  out = new Float64Array(0);
  /** ∂loss/∂h(x_s), set by the caller before `backwardBatch`. */
  dh = new Float64Array(0);
  xhat1 = new Float64Array(0);
  a1 = new Float64Array(0);
  act1 = new Int32Array(0);
  n1 = new Int32Array(0);
  inv1 = new Float64Array(0);
  xhat2 = new Float64Array(0);
  a2 = new Float64Array(0);
  act2 = new Int32Array(0);
  n2 = new Int32Array(0);
  inv2 = new Float64Array(0);
  d = new Float64Array(0);
  d1 = new Float64Array(0);
  dT = new Float64Array(0);
  a1T = new Float64Array(0);
  readonly z: Float64Array;
  readonly w2T: Float64Array;

  constructor(readonly h: number) {
    this.z = new Float64Array(h);
    this.w2T = new Float64Array(h * h);
  }

  /** Grows the arrays to hold at least B inputs (never shrinks, so steady-state training allocates nothing). */
  ensure(B: number): void {
    if (B <= this.capacity) return;
    const cap = Math.max(B, 2 * this.capacity, 64);
    const h = this.h;
    const f = (n: number) => new Float64Array(n);
    const i = (n: number) => new Int32Array(n);
    Object.assign(this, {
      capacity: cap, x: f(cap), out: f(cap), dh: f(cap), xhat1: f(cap * h), a1: f(cap * h), act1: i(cap * h), n1: i(cap), inv1: f(cap),
      xhat2: f(cap * h), a2: f(cap * h), act2: i(cap * h), n2: i(cap), inv2: f(cap), d: f(cap * h), d1: f(cap * h), dT: f(cap * h), a1T: f(cap * h),
    });
  }
}

/** LayerNorm then ReLU of z into row `base` of xhat and a; 1/σ into inv[s]; the active indices, ascending, into act[base…]. Returns their count. */
function layerNormRelu(
  z: Float64Array, xhat: Float64Array, a: Float64Array, act: Int32Array, inv: Float64Array, s: number, base: number,
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
  inv[s] = invStd;
  let n = 0;
  for (let i = 0; i < h; i++) {
    const xh = (z[i] - mu) * invStd;
    xhat[base + i] = xh;
    const y = p[oGamma + i] * xh + p[oBeta + i];
    if (y > 0) {
      a[base + i] = y;
      act[base + n++] = i;
    } else a[base + i] = 0;
  }
  return n;
}

/** h(x_s) for s < B into ws.out, keeping what the backward pass needs. */
export function forwardBatch(p: Float64Array, L: WitnessLayout, ws: WitnessWorkspace, B: number): void {
  const { h, oW1, oB1, oG1, oBe1, oW2, oB2, oG2, oBe2, oW3, oB3 } = L;
  const { x, out, xhat1, a1, act1, n1, inv1, xhat2, a2, act2, n2, inv2, z } = ws;
  const h4 = h - (h % 4);
  for (let s = 0; s < B; s++) {
    const xs = x[s];
    const base = s * h;
    for (let i = 0; i < h; i++) z[i] = p[oW1 + i] * xs + p[oB1 + i];
    const k1 = layerNormRelu(z, xhat1, a1, act1, inv1, s, base, p, oG1, oBe1, h);
    n1[s] = k1;
    // z2 = b2 + W2·a1 over the active units of layer 1, four rows per pass.
    let i = 0;
    for (; i < h4; i += 4) {
      const r0 = oW2 + i * h;
      const r1 = r0 + h;
      const r2 = r1 + h;
      const r3 = r2 + h;
      let s0 = p[oB2 + i];
      let s1 = p[oB2 + i + 1];
      let s2 = p[oB2 + i + 2];
      let s3 = p[oB2 + i + 3];
      for (let k = 0; k < k1; k++) {
        const j = act1[base + k];
        const aj = a1[base + j];
        s0 += p[r0 + j] * aj;
        s1 += p[r1 + j] * aj;
        s2 += p[r2 + j] * aj;
        s3 += p[r3 + j] * aj;
      }
      z[i] = s0;
      z[i + 1] = s1;
      z[i + 2] = s2;
      z[i + 3] = s3;
    }
    for (; i < h; i++) {
      const r = oW2 + i * h;
      let acc = p[oB2 + i];
      for (let k = 0; k < k1; k++) {
        const j = act1[base + k];
        acc += p[r + j] * a1[base + j];
      }
      z[i] = acc;
    }
    const k2 = layerNormRelu(z, xhat2, a2, act2, inv2, s, base, p, oG2, oBe2, h);
    n2[s] = k2;
    let o = p[oB3];
    for (let k = 0; k < k2; k++) {
      const u = act2[base + k];
      o += p[oW3 + u] * a2[base + u];
    }
    out[s] = o;
  }
}

/** In place on row `base` of d: ∂/∂y in, ∂/∂z out; accumulates ∂/∂γ, ∂/∂β into g. */
function layerNormBackward(
  d: Float64Array, xhat: Float64Array, base: number, invStd: number,
  p: Float64Array, g: Float64Array, oGamma: number, oBeta: number, h: number,
): void {
  let meanD = 0;
  let meanDX = 0;
  for (let i = 0; i < h; i++) {
    const dy = d[base + i];
    const xh = xhat[base + i];
    g[oGamma + i] += dy * xh;
    g[oBeta + i] += dy;
    const dxh = dy * p[oGamma + i];
    d[base + i] = dxh;
    meanD += dxh;
    meanDX += dxh * xh;
  }
  meanD /= h;
  meanDX /= h;
  for (let i = 0; i < h; i++) d[base + i] = invStd * (d[base + i] - meanD - xhat[base + i] * meanDX);
}

/**
 * Adds Σ_s ws.dh[s]·∂h(x_s)/∂θ into g (which the caller zeroes), for the inputs of the last forwardBatch.
 * Inputs with dh = 0 contribute nothing and are skipped.
 */
export function backwardBatch(p: Float64Array, g: Float64Array, L: WitnessLayout, ws: WitnessWorkspace, B: number): void {
  const { h, oW1, oB1, oG1, oBe1, oW2, oB2, oG2, oBe2, oW3, oB3 } = L;
  const { x, dh, xhat1, a1, act1, n1, inv1, xhat2, a2, act2, n2, inv2, d, d1, w2T } = ws;
  for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) w2T[j * h + i] = p[oW2 + i * h + j];
  for (let s = 0; s < B; s++) {
    const base = s * h;
    const dhs = dh[s];
    d.fill(0, base, base + h);
    d1.fill(0, base, base + h);
    if (dhs === 0) continue;
    g[oB3] += dhs;
    const k2 = n2[s];
    for (let k = 0; k < k2; k++) {
      const i = act2[base + k];
      g[oW3 + i] += dhs * a2[base + i];
      d[base + i] = dhs * p[oW3 + i]; // through ReLU 2 (0 where inactive)
    }
    layerNormBackward(d, xhat2, base, inv2[s], p, g, oG2, oBe2, h); // row s of d is now ∂/∂z2
    for (let i = 0; i < h; i++) g[oB2 + i] += d[base + i];
    // ∂/∂a1 = W2ᵀ·d, needed only where ReLU 1 was active; four active units per pass over the rows.
    const k1 = n1[s];
    let k = 0;
    for (; k + 4 <= k1; k += 4) {
      const j0 = act1[base + k];
      const j1 = act1[base + k + 1];
      const j2 = act1[base + k + 2];
      const j3 = act1[base + k + 3];
      const c0 = j0 * h;
      const c1 = j1 * h;
      const c2 = j2 * h;
      const c3 = j3 * h;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < h; i++) {
        const di = d[base + i];
        s0 += w2T[c0 + i] * di;
        s1 += w2T[c1 + i] * di;
        s2 += w2T[c2 + i] * di;
        s3 += w2T[c3 + i] * di;
      }
      d1[base + j0] = s0;
      d1[base + j1] = s1;
      d1[base + j2] = s2;
      d1[base + j3] = s3;
    }
    for (; k < k1; k++) {
      const j = act1[base + k];
      const c = j * h;
      let acc = 0;
      for (let i = 0; i < h; i++) acc += w2T[c + i] * d[base + i];
      d1[base + j] = acc;
    }
    layerNormBackward(d1, xhat1, base, inv1[s], p, g, oG1, oBe1, h);
    const xs = x[s];
    for (let i = 0; i < h; i++) {
      g[oW1 + i] += d1[base + i] * xs;
      g[oB1 + i] += d1[base + i];
    }
  }
  accumulateOuterProducts(g, oW2, ws, B);
}

/** g[W2 + i·h + j] += Σ_s d[s,i]·a1[s,j], summed over s in order, in 2×2 register tiles on transposed copies. */
function accumulateOuterProducts(g: Float64Array, oW2: number, ws: WitnessWorkspace, B: number): void {
  const { h, d, a1, dT, a1T } = ws;
  for (let s = 0; s < B; s++) {
    const base = s * h;
    for (let i = 0; i < h; i++) {
      dT[i * B + s] = d[base + i];
      a1T[i * B + s] = a1[base + i];
    }
  }
  const h2 = h - (h % 2);
  for (let i = 0; i < h2; i += 2) {
    const di0 = i * B;
    const di1 = di0 + B;
    const r0 = oW2 + i * h;
    const r1 = r0 + h;
    let j = 0;
    for (; j < h2; j += 2) {
      const aj0 = j * B;
      const aj1 = aj0 + B;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let s = 0; s < B; s++) {
        const u0 = dT[di0 + s];
        const u1 = dT[di1 + s];
        const v0 = a1T[aj0 + s];
        const v1 = a1T[aj1 + s];
        s00 += u0 * v0;
        s01 += u0 * v1;
        s10 += u1 * v0;
        s11 += u1 * v1;
      }
      g[r0 + j] += s00;
      g[r0 + j + 1] += s01;
      g[r1 + j] += s10;
      g[r1 + j + 1] += s11;
    }
    for (; j < h; j++) {
      let s0 = 0;
      let s1 = 0;
      for (let s = 0; s < B; s++) {
        const v = a1T[j * B + s];
        s0 += dT[di0 + s] * v;
        s1 += dT[di1 + s] * v;
      }
      g[r0 + j] += s0;
      g[r1 + j] += s1;
    }
  }
  for (let i = h2; i < h; i++) {
    const r = oW2 + i * h;
    for (let j = 0; j < h; j++) {
      let acc = 0;
      for (let s = 0; s < B; s++) acc += dT[i * B + s] * a1T[j * B + s];
      g[r + j] += acc;
    }
  }
}
