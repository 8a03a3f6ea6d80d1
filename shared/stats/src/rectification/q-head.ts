/**
 * The dead-end value head Q_D (spec §2.2 and §6): on L's final-norm hidden state h_t (L frozen), a
 * vocabulary-sized vector Q(s_t, ·). Like the reference's `q_heads[0]` it is an MLP
 * Linear(D→H) → ReLU → Linear(H→V) (H = 0: one Linear(D→V)), but its output is bounded to (−1, 0) by
 * Q = −σ(u) (pitfall 4), so no value ever leaves the range the caps assume.
 *
 * Parameters are one flat Float64Array laid out by `denseStack` ([D, H, V] or [D, V]); W is row-major
 * [out × in], so the output layer's row a (Q of token a) is contiguous: training touches only the rows of the
 * actions taken (`qHeadTaken`), inference computes all V (`qHeadForward`).
 */
import { denseBackward, denseForward, DenseLayer, denseStack, initXavierNormal } from '../nn/dense';
import { sigmoid } from '../nn/logistic';
import { Rng } from '../rng';

export interface QHeadShape {
  /** L's hidden size D. */
  inDim: number;
  /** Width of the hidden layer (0: linear head). */
  hidden: number;
  /** L's vocabulary (logits) size V. */
  vocab: number;
}

export interface QHeadLayout extends QHeadShape {
  layers: DenseLayer[];
  size: number;
}

export function qHeadLayout(shape: QHeadShape): QHeadLayout {
  const { inDim, hidden, vocab } = shape;
  if (!(Number.isInteger(inDim) && inDim >= 1 && Number.isInteger(vocab) && vocab >= 2 && Number.isInteger(hidden) && hidden >= 0)) {
    throw new RangeError(`Q head needs inDim ≥ 1, hidden ≥ 0, vocab ≥ 2 (got ${inDim}, ${hidden}, ${vocab})`);
  }
  const { layers, end } = denseStack(hidden > 0 ? [inDim, hidden, vocab] : [inDim, vocab]);
  return { inDim, hidden, vocab, layers, size: end };
}

/**
 * Fresh parameters: Xavier-normal hidden layer, a small output layer, and output biases at logit(prior) so that
 * every Q starts at −prior (the data's toxic rate is a better start than −½).
 */
export function initQHead(layout: QHeadLayout, rng: Rng, prior = 0.05): Float64Array {
  const p = new Float64Array(layout.size);
  const last = layout.layers[layout.layers.length - 1];
  for (const layer of layout.layers) initXavierNormal(p, layer, rng);
  for (let k = 0; k < last.inDim * last.outDim; k++) p[last.oW + k] *= 0.1;
  const bias = Math.log(prior / (1 - prior));
  p.fill(bias, last.oB, last.oB + last.outDim);
  return p;
}

function hiddenActivations(p: Float64Array, layout: QHeadLayout, h: ArrayLike<number>, hOff: number, act: Float64Array): ArrayLike<number> {
  if (layout.hidden === 0) return h;
  denseForward(p, layout.layers[0], h, hOff, act, 0);
  for (let j = 0; j < layout.hidden; j++) if (act[j] < 0) act[j] = 0;
  return act;
}

/** Q(s, ·) for one hidden state h[hOff … hOff + D): writes V values in (−1, 0) into `out`. */
export function qHeadForward(p: Float64Array, layout: QHeadLayout, h: ArrayLike<number>, hOff: number, out: Float64Array): Float64Array {
  const act = new Float64Array(layout.hidden);
  const x = hiddenActivations(p, layout, h, hOff, act);
  const last = layout.layers[layout.layers.length - 1];
  denseForward(p, last, x, layout.hidden === 0 ? hOff : 0, out, 0);
  for (let a = 0; a < layout.vocab; a++) out[a] = -sigmoid(out[a]);
  return out;
}

/** Q(s, a) of one action only (H + D·H multiply-adds instead of V·H). */
export function qHeadTaken(p: Float64Array, layout: QHeadLayout, h: ArrayLike<number>, hOff: number, action: number): number {
  return -sigmoid(rawTaken(p, layout, hiddenActivations(p, layout, h, hOff, new Float64Array(layout.hidden)), layout.hidden === 0 ? hOff : 0, action));
}

function rawTaken(p: Float64Array, layout: QHeadLayout, x: ArrayLike<number>, xOff: number, action: number): number {
  const last = layout.layers[layout.layers.length - 1];
  if (!(Number.isInteger(action) && action >= 0 && action < layout.vocab)) throw new RangeError(`action ${action} is outside the vocabulary (${layout.vocab})`);
  const row = last.oW + action * last.inDim;
  let s = p[last.oB + action];
  for (let j = 0; j < last.inDim; j++) s += p[row + j] * x[xOff + j];
  return s;
}

/**
 * The backward pass of one action's loss into `grad` (only the taken row of the output layer and the hidden layer
 * receive gradient): `d` is dLoss/dQ, or with `wrt: 'raw'` dLoss/du for the pre-bound output u (Q = −σ(u)).
 */
export function qHeadTakenBackward(p: Float64Array, grad: Float64Array, layout: QHeadLayout, h: ArrayLike<number>, hOff: number, action: number, d: number, wrt: 'q' | 'raw' = 'q'): void {
  const act = new Float64Array(layout.hidden);
  const x = hiddenActivations(p, layout, h, hOff, act);
  const xOff = layout.hidden === 0 ? hOff : 0;
  let du = d;
  if (wrt === 'q') {
    const s = sigmoid(rawTaken(p, layout, x, xOff, action));
    du = d * -s * (1 - s);
  }
  if (du === 0) return;
  const last = layout.layers[layout.layers.length - 1];
  const row = last.oW + action * last.inDim;
  grad[last.oB + action] += du;
  for (let j = 0; j < last.inDim; j++) grad[row + j] += du * x[xOff + j];
  if (layout.hidden === 0) return;
  const dAct = new Float64Array(layout.hidden);
  for (let j = 0; j < layout.hidden; j++) dAct[j] = act[j] > 0 ? du * p[row + j] : 0;
  denseBackward(p, grad, layout.layers[0], h, hOff, dAct, 0, null, 0);
}
