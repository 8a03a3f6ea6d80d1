import { attrFloat, attrInt, attrInts, attrString } from '../../onnx/graph-builder';
import { broadcastShape, sizeOf, Tape, Val } from './tape';

/*
 * Differentiable ops on a {@link Tape}, each with its hand-derived gradient. Elementwise ops broadcast
 * (numpy rules); matrix products are 2-D Gemm (weights) or same-rank batched MatMul (attention).
 */

const lastTwoSwapped = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

export function add(t: Tape, a: Val, b: Val): Val {
  const y = t.op('Add', [a, b], {}, broadcastShape(a.shape, b.shape));
  t.record([a, b], [y], ([dy]) => [t.unbroadcast(dy!, a.shape), t.unbroadcast(dy!, b.shape)]);
  return y;
}

export function sub(t: Tape, a: Val, b: Val): Val {
  const y = t.op('Sub', [a, b], {}, broadcastShape(a.shape, b.shape));
  t.record([a, b], [y], ([dy]) => [t.unbroadcast(dy!, a.shape), b.requiresGrad ? t.unbroadcast(neg(t, dy!), b.shape) : null]);
  return y;
}

export function mul(t: Tape, a: Val, b: Val): Val {
  const y = t.op('Mul', [a, b], {}, broadcastShape(a.shape, b.shape));
  t.record([a, b], [y], ([dy]) => [
    a.requiresGrad ? t.unbroadcast(mul(t, dy!, b), a.shape) : null,
    b.requiresGrad ? t.unbroadcast(mul(t, dy!, a), b.shape) : null,
  ]);
  return y;
}

export function neg(t: Tape, x: Val): Val {
  const y = t.op('Neg', [x], {}, x.shape);
  t.record([x], [y], ([dy]) => [neg(t, dy!)]);
  return y;
}

/** x · s for a number s. */
export function scale(t: Tape, x: Val, s: number): Val {
  return s === 1 ? x : mul(t, x, t.scalar(s));
}

/**
 * op(A) · op(B) (+ bias) for 2-D A, B, with op = transpose when the flag is set; bias [N] broadcasts over rows.
 * Gradients are again Gemms with flags, so no explicit transposes are materialised.
 */
export function gemm(t: Tape, a: Val, b: Val, options: { transA?: boolean; transB?: boolean; bias?: Val } = {}): Val {
  const tA = options.transA ?? false;
  const tB = options.transB ?? false;
  const [M, K] = tA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = tB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (a.shape.length !== 2 || b.shape.length !== 2 || K !== K2) throw new Error(`gemm of [${a.shape}]${tA ? 'ᵀ' : ''} and [${b.shape}]${tB ? 'ᵀ' : ''}`);
  const bias = options.bias;
  const inputs = bias ? [a, b, bias] : [a, b];
  const y = t.op('Gemm', inputs, { transA: attrInt(tA ? 1 : 0), transB: attrInt(tB ? 1 : 0) }, [M, N]);
  t.record(inputs, [y], ([dy]) => {
    const g = dy!;
    // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ, d op(B) = op(A)ᵀ·dC, then undo the op.
    const da = !a.requiresGrad ? null : tA ? gemm(t, b, g, { transA: tB, transB: true }) : gemm(t, g, b, { transB: !tB });
    const db = !b.requiresGrad ? null : tB ? gemm(t, g, a, { transA: true, transB: tA }) : gemm(t, a, g, { transA: !tA });
    const dbias = bias?.requiresGrad ? reduceSum(t, g, [0], false) : null;
    return bias ? [da, db, dbias] : [da, db];
  });
  return y;
}

/** Batched A · B (or A · Bᵀ) for same-rank A, B with equal leading (batch) axes. */
export function matmul(t: Tape, a: Val, b: Val, transB = false): Val {
  const r = a.shape.length;
  const bb = transB ? transposeNoGrad(t, b, lastTwoSwapped(r)) : b;
  if (r < 3 || bb.shape.length !== r || a.shape.slice(0, -2).join() !== bb.shape.slice(0, -2).join() || a.shape[r - 1] !== bb.shape[r - 2]) {
    throw new Error(`batched matmul of [${a.shape}] and [${b.shape}]${transB ? 'ᵀ' : ''}`);
  }
  const y = t.op('MatMul', [a, bb], {}, [...a.shape.slice(0, -1), bb.shape[r - 1]]);
  t.record([a, b], [y], ([dy]) => {
    const swap = lastTwoSwapped(r);
    const da = a.requiresGrad ? matmul(t, dy!, bb, true) : null;
    // d(Bb) = Aᵀ·dC; for A·Bᵀ, dB = dCᵀ·A.
    const db = !b.requiresGrad ? null : transB ? matmul(t, transposeNoGrad(t, dy!, swap), a) : matmul(t, transposeNoGrad(t, a, swap), dy!);
    return [da, db];
  });
  return y;
}

function transposeNoGrad(t: Tape, x: Val, perm: number[]): Val {
  return t.emit('Transpose', [x], { perm: attrInts(perm) }, [perm.map((p) => x.shape[p])])[0];
}

export function reduceSum(t: Tape, x: Val, axes: number[], keepdims: boolean): Val {
  const norm = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  const y = t.op('ReduceSum', [x, t.constantInt(norm)], { keepdims: attrInt(keepdims ? 1 : 0) }, shape);
  t.record([x], [y], ([dy]) => {
    const kept = x.shape.map((d, i) => (norm.includes(i) ? 1 : d));
    return [t.emit('Expand', [t.reshape(dy!, kept), t.constantInt([...x.shape])], {}, [x.shape])[0]];
  });
  return y;
}

/** Mean of all elements, a scalar. */
export function meanAll(t: Tape, x: Val): Val {
  return scale(t, reduceSum(t, x, x.shape.map((_, i) => i), false), 1 / sizeOf(x.shape));
}

/** Splits along `axis` into pieces of `sizes`; the gradient concatenates (zeros for unused pieces). */
export function split(t: Tape, x: Val, axis: number, sizes: number[]): Val[] {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const shapes = sizes.map((s) => x.shape.map((d, i) => (i === ax ? s : d)));
  const outs = t.emit('Split', [x, t.constantInt(sizes)], { axis: attrInt(ax) }, shapes, 'float32', t.tracks([x]));
  t.record([x], outs, (dys) => [concat(t, dys.map((d, i) => d ?? t.zeros(shapes[i])), ax)]);
  return outs;
}

export function concat(t: Tape, xs: Val[], axis: number): Val {
  const ax = axis < 0 ? axis + xs[0].shape.length : axis;
  const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((n, x) => n + x.shape[ax], 0) : d));
  const y = t.op('Concat', xs, { axis: attrInt(ax) }, shape);
  t.record(xs, [y], ([dy]) => split(t, dy!, ax, xs.map((x) => x.shape[ax])));
  return y;
}

/** Softmax over the last axis: dx = y ⊙ (dy − Σ dy ⊙ y). */
export function softmax(t: Tape, x: Val): Val {
  const y = t.op('Softmax', [x], { axis: attrInt(-1) }, x.shape);
  t.record([x], [y], ([dy]) => {
    const dyy = mul(t, dy!, y);
    return [mul(t, y, sub(t, dy!, reduceSum(t, dyy, [-1], true)))];
  });
  return y;
}

/** Rows of `table` [V, D] at integer `ids` (any shape) → [...ids, D]; the gradient scatter-adds rows. */
export function gather(t: Tape, table: Val, ids: Val): Val {
  const [V, D] = table.shape;
  const y = t.op('Gather', [table, ids], { axis: attrInt(0) }, [...ids.shape, D]);
  t.record([table], [y], ([dy]) => {
    const n = sizeOf(ids.shape);
    const index = t.emit('Reshape', [ids, t.constantInt([n, 1])], {}, [[n, 1]], 'int64')[0];
    const rows = t.reshape(dy!, [n, D]);
    return [t.emit('ScatterND', [t.zeros([V, D]), index, rows], { reduction: attrString('add') }, [[V, D]])[0]];
  });
  return y;
}

/** LayerNorm over the last axis of [N, D] (biased variance), closed-form gradient from the saved statistics. */
export function layerNorm(t: Tape, x: Val, gain: Val, bias: Val, eps: number): Val {
  const [N] = x.shape;
  const [y, mean, rstd] = t.emit('LayerNormalization', [x, gain, bias], { axis: attrInt(-1), epsilon: attrFloat(eps) }, [x.shape, [N, 1], [N, 1]], 'float32', t.tracks([x, gain, bias]));
  t.record([x, gain, bias], [y], ([dy]) => {
    const n = mul(t, sub(t, x, mean), rstd);
    const dn = mul(t, dy!, gain);
    const dx = x.requiresGrad ? mul(t, rstd, sub(t, sub(t, dn, reduceMean(t, dn)), mul(t, n, reduceMean(t, mul(t, dn, n))))) : null;
    return [dx, gain.requiresGrad ? reduceSum(t, mul(t, dy!, n), [0], false) : null, bias.requiresGrad ? reduceSum(t, dy!, [0], false) : null];
  });
  return y;
}

/** Mean over the last axis, kept (ReduceMean of opset 17 takes axes as an attribute). */
function reduceMean(t: Tape, x: Val): Val {
  return t.emit('ReduceMean', [x], { axes: attrInts([-1]), keepdims: attrInt(1) }, [[...x.shape.slice(0, -1), 1]])[0];
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) ⊙ w, or ⊙ (1 + w) with `unitOffset` (Gemma); any rank.
 * dx = r ⊙ (dn − n ⊙ mean(dn ⊙ n)) with n the normalised x and dn = dy ⊙ gain.
 */
export function rmsNorm(t: Tape, x: Val, weight: Val, eps: number, unitOffset = false): Val {
  const meanSq = reduceMean(t, t.emit('Mul', [x, x], {}, [x.shape])[0]);
  const r = t.emit('Reciprocal', [t.emit('Sqrt', [t.emit('Add', [meanSq, t.scalar(eps)], {}, [meanSq.shape])[0]], {}, [meanSq.shape])[0]], {}, [meanSq.shape])[0];
  const n = t.emit('Mul', [x, r], {}, [x.shape])[0];
  const gain = unitOffset ? t.emit('Add', [weight, t.scalar(1)], {}, [weight.shape])[0] : weight;
  const y = t.opFrom([x, weight], 'Mul', [n, gain], {}, x.shape);
  t.record([x, weight], [y], ([dy]) => {
    const dn = mul(t, dy!, gain);
    const dx = x.requiresGrad ? mul(t, r, sub(t, dn, mul(t, n, reduceMean(t, mul(t, dn, n))))) : null;
    const leading = x.shape.slice(0, -1).map((_, i) => i);
    return [dx, weight.requiresGrad ? reduceSum(t, mul(t, dy!, n), leading, false) : null];
  });
  return y;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GELU, tanh approximation (GPT-2's gelu_new, Gemma's gelu_pytorch_tanh), through the identity
 * ½x(1 + tanh u) = x·σ(2u), u = c(x + a x³): y = x·s with s = σ(x(k₁ + k₂x²)), k₁ = 2c, k₂ = 2ca;
 * dy/dx = s + x·s(1 − s)(k₁ + 3k₂x²). Fewer elementwise passes than the tanh form, forward and backward.
 */
export function geluTanh(t: Tape, x: Val): Val {
  const s = x.shape;
  const k1 = 2 * GELU_C;
  const k2 = 2 * GELU_C * GELU_A;
  const x2 = t.emit('Mul', [x, x], {}, [s])[0];
  const sig = t.emit('Sigmoid', [t.emit('Mul', [x, t.emit('Add', [t.emit('Mul', [x2, t.scalar(k2)], {}, [s])[0], t.scalar(k1)], {}, [s])[0]], {}, [s])[0]], {}, [s])[0];
  const y = t.opFrom([x], 'Mul', [x, sig], {}, s);
  t.record([x], [y], ([dy]) => {
    const slope = add(t, scale(t, x2, 3 * k2), t.scalar(k1));
    const grad = add(t, sig, mul(t, mul(t, x, slope), mul(t, sig, sub(t, t.scalar(1), sig))));
    return [mul(t, dy!, grad)];
  });
  return y;
}

/** SiLU x·σ(x); derivative σ(x)(1 + x(1 − σ(x))). */
export function silu(t: Tape, x: Val): Val {
  const sig = t.emit('Sigmoid', [x], {}, [x.shape])[0];
  const y = t.opFrom([x], 'Mul', [x, sig], {}, x.shape);
  t.record([x], [y], ([dy]) => [mul(t, dy!, mul(t, sig, add(t, t.scalar(1), mul(t, x, sub(t, t.scalar(1), sig)))))]);
  return y;
}

/**
 * Rotary position embedding (Hugging Face rotate_half convention) of x [..., T, hd] with cos/sin [T, hd]:
 * y = x⊙cos + rot(x)⊙sin, rot(x) = [−x₂, x₁]. Linear in x, so dx = dy⊙cos + rotᵀ(dy⊙sin), rotᵀ(u) = [u₂, −u₁].
 */
export function rope(t: Tape, x: Val, cos: Val, sin: Val): Val {
  const half = x.shape[x.shape.length - 1] / 2;
  const rot = (v: Val, sign: 1 | -1): Val => {
    const [a, b] = t.emit('Split', [v, t.constantInt([half, half])], { axis: attrInt(-1) }, [[...v.shape.slice(0, -1), half], [...v.shape.slice(0, -1), half]]);
    const parts = sign === 1 ? [t.emit('Neg', [b], {}, [b.shape])[0], a] : [b, t.emit('Neg', [a], {}, [a.shape])[0]];
    return t.emit('Concat', parts, { axis: attrInt(-1) }, [v.shape])[0];
  };
  const xc = t.emit('Mul', [x, cos], {}, [x.shape])[0];
  const xs = t.emit('Mul', [rot(x, 1), sin], {}, [x.shape])[0];
  const y = t.opFrom([x], 'Add', [xc, xs], {}, x.shape);
  t.record([x], [y], ([dy]) => [add(t, mul(t, dy!, cos), rot(mul(t, dy!, sin), -1))]);
  return y;
}

/**
 * Next-token cross-entropy per row: logits [N, V], integer targets [N] → −log softmax(logits)[target], [N].
 * Gradient: (softmax − onehot) ⊙ dy, with the one-hot subtracted by a scatter (O(N), not O(N·V)).
 */
export function crossEntropy(t: Tape, logits: Val, targets: Val): Val {
  const [N, V] = logits.shape;
  const logp = t.emit('LogSoftmax', [logits], { axis: attrInt(-1) }, [[N, V]])[0];
  const index = t.emit('Reshape', [targets, t.constantInt([N, 1])], {}, [[N, 1]], 'int64')[0];
  const picked = t.emit('GatherElements', [logp, index], { axis: attrInt(1) }, [[N, 1]])[0];
  const y = t.opFrom([logits], 'Neg', [t.emit('Reshape', [picked, t.constantInt([N])], {}, [[N]])[0]], {}, [N]);
  t.record([logits], [y], ([dy]) => {
    const probs = t.emit('Exp', [logp], {}, [[N, V]])[0];
    const rows = t.emit('Reshape', [t.constantInt(Array.from({ length: N }, (_, i) => i)), t.constantInt([N, 1])], {}, [[N, 1]], 'int64')[0];
    const at = t.emit('Concat', [rows, index], { axis: attrInt(1) }, [[N, 2]], 'int64')[0];
    const minusOne = t.emit('Expand', [t.scalar(-1), t.constantInt([N])], {}, [[N]])[0];
    const shifted = t.emit('ScatterND', [probs, at, minusOne], { reduction: attrString('add') }, [[N, V]])[0];
    return [t.emit('Mul', [shifted, t.reshape(dy!, [N, 1])], {}, [[N, V]])[0]];
  });
  return y;
}

/**
 * Next-token cross-entropy of the LM head's logits h·Wᵀ (h [N, D], W [V, D]) per row → [N], without ever forming the
 * [N, V] logits gradient: with P = softmax(logits) and Y the one-hot targets, d(logits) = diag(dy)(P − Y), so
 * dh = diag(dy)(P·W − W[targets]) and dW = Pᵀ·diag(dy)h − scatter-add of diag(dy)h into the target rows.
 * Saves the two full [N, V] passes that subtracting the one-hot and scaling rows would take.
 */
export function headCrossEntropy(t: Tape, h: Val, w: Val, targets: Val): Val {
  const [N, D] = h.shape;
  const V = w.shape[0];
  const logits = t.emit('Gemm', [h, w], { transB: attrInt(1) }, [[N, V]])[0];
  const logp = t.emit('LogSoftmax', [logits], { axis: attrInt(-1) }, [[N, V]])[0];
  const index = t.emit('Reshape', [targets, t.constantInt([N, 1])], {}, [[N, 1]], 'int64')[0];
  const picked = t.emit('GatherElements', [logp, index], { axis: attrInt(1) }, [[N, 1]])[0];
  const y = t.opFrom([h, w], 'Neg', [t.emit('Reshape', [picked, t.constantInt([N])], {}, [[N]])[0]], {}, [N]);
  t.record([h, w], [y], ([dy]) => {
    const probs = t.emit('Exp', [logp], {}, [[N, V]])[0];
    const rowScale = t.reshape(dy!, [N, 1]);
    const dh = h.requiresGrad ? mul(t, sub(t, gemm(t, probs, w), t.emit('Gather', [w, targets], { axis: attrInt(0) }, [[N, D]])[0]), rowScale) : null;
    let dw: Val | null = null;
    if (w.requiresGrad) {
      const scaled = mul(t, h, rowScale);
      const picked = t.emit('ScatterND', [t.zeros([V, D]), index, scaled], { reduction: attrString('add') }, [[V, D]])[0];
      dw = sub(t, gemm(t, probs, scaled, { transA: true }), picked);
    }
    return [dh, dw];
  });
  return y;
}
