/**
 * Dense (fully connected) layers on flat Float64Array parameters, y = W·x + b with W row-major [out × in]:
 * forward, backward (accumulating ∂W, ∂b and writing ∂x) and PyTorch's initialisations. Shared by the
 * calibration probe (an MLP on hidden states) and the reward head's dense-tanh pooler.
 */
import { Rng } from '../rng';

export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** Offsets of W (outDim × inDim) and b (outDim) in the parameter vector; b is −1 for a layer without bias. */
  oW: number;
  oB: number;
}

/** Lays out consecutive layers of the given sizes ([in, h1, ..., out]) in one vector; returns them and the total. */
export function denseStack(sizes: readonly number[], bias = true, start = 0): { layers: DenseLayer[]; end: number } {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`layer sizes must be >= 2 positive integers, got [${sizes.join(', ')}]`);
  const layers: DenseLayer[] = [];
  let o = start;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inDim = sizes[l];
    const outDim = sizes[l + 1];
    const oW = o;
    o += inDim * outDim;
    const oB = bias ? o : -1;
    if (bias) o += outDim;
    layers.push({ inDim, outDim, oW, oB });
  }
  return { layers, end: o };
}

/** y[yOff + i] = b_i + Σ_j W_ij·x[xOff + j]. */
export function denseForward(p: Float64Array, layer: DenseLayer, x: ArrayLike<number>, xOff: number, y: Float64Array, yOff: number): void {
  const { inDim, outDim, oW, oB } = layer;
  for (let i = 0; i < outDim; i++) {
    let s = oB >= 0 ? p[oB + i] : 0;
    const row = oW + i * inDim;
    for (let j = 0; j < inDim; j++) s += p[row + j] * x[xOff + j];
    y[yOff + i] = s;
  }
}

/**
 * Given dy = ∂L/∂y, accumulates ∂L/∂W += dy·xᵀ and ∂L/∂b += dy into g, and writes ∂L/∂x into dx (when given).
 */
export function denseBackward(
  p: Float64Array, g: Float64Array, layer: DenseLayer,
  x: ArrayLike<number>, xOff: number, dy: Float64Array, dyOff: number, dx: Float64Array | null, dxOff: number,
): void {
  const { inDim, outDim, oW, oB } = layer;
  if (dx) dx.fill(0, dxOff, dxOff + inDim);
  for (let i = 0; i < outDim; i++) {
    const di = dy[dyOff + i];
    if (di === 0) continue;
    if (oB >= 0) g[oB + i] += di;
    const row = oW + i * inDim;
    for (let j = 0; j < inDim; j++) g[row + j] += di * x[xOff + j];
    if (dx) for (let j = 0; j < inDim; j++) dx[dxOff + j] += p[row + j] * di;
  }
}

/** Xavier (Glorot) normal weights, std √(2/(in + out)); biases U(±1/√in), PyTorch's Linear default. */
export function initXavierNormal(p: Float64Array, layer: DenseLayer, rng: Rng): void {
  const std = Math.sqrt(2 / (layer.inDim + layer.outDim));
  for (let k = 0; k < layer.inDim * layer.outDim; k++) p[layer.oW + k] = rng.normal(0, std);
  initTorchBias(p, layer, rng);
}

/** Normal(0, std) weights and zero biases (the DPH code's `_init_weights`, std 0.02). */
export function initNormal(p: Float64Array, layer: DenseLayer, rng: Rng, std: number): void {
  for (let k = 0; k < layer.inDim * layer.outDim; k++) p[layer.oW + k] = rng.normal(0, std);
  if (layer.oB >= 0) p.fill(0, layer.oB, layer.oB + layer.outDim);
}

function initTorchBias(p: Float64Array, layer: DenseLayer, rng: Rng): void {
  if (layer.oB < 0) return;
  const bound = 1 / Math.sqrt(layer.inDim);
  for (let i = 0; i < layer.outDim; i++) p[layer.oB + i] = (2 * rng.next() - 1) * bound;
}
