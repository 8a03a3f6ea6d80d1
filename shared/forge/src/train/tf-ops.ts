import { tf } from './tf-backend';

/*
 * Training ops with hand-written gradients, shaped around the wasm backend's fast and slow paths
 * (measured on tfjs 4.22): 2-D matMul without transpose flags runs on XNNPACK (~30 GFLOP/s) while
 * transposeA/transposeB or batched matMul take a scalar loop (~2 GFLOP/s), which a depthwise
 * convolution sidesteps for grouped products; a 2-D transpose of a tall
 * matrix is 3-4x slower than the same data moved as a 3-D transpose; reductions over axis 0 are slow
 * while ones·X on XNNPACK is nearly free; tanh is 10x slower than sigmoid; gather has no gradient
 * kernel (UnsortedSegmentSum is missing) but scatterND sums duplicates.
 */

type Grad = (...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
};
const customGrad = (f: Grad) => tf.customGrad(f as Parameters<typeof tf.customGrad>[0]);

/** 2-D transpose; a tall matrix is moved in row blocks (a 3-D transpose), which wasm does much faster. */
export function transpose2d(x: tf.Tensor): tf.Tensor {
  const [R, C] = x.shape;
  if (R > C) {
    for (const r of [64, 32, 16, 8]) {
      if (R % r === 0 && R > r) return tf.reshape(tf.transpose(tf.reshape(x, [R / r, r, C]), [2, 0, 1]), [C, R]);
    }
  }
  return tf.transpose(x);
}

/** Column sums of a 2-D tensor as ones[1, N] · x (XNNPACK), instead of a slow axis-0 reduction. */
export function columnSums(x: tf.Tensor): tf.Tensor {
  const [N, C] = x.shape;
  return tf.reshape(tf.matMul(tf.ones([1, N]), x), [C]);
}

/** One-hot rows as float32. wasm's OneHot kernel ignores the dtype argument and writes int32 bits, hence the cast. */
export function oneHotFloat(ids: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids as tf.Tensor1D, depth), 'float32') as tf.Tensor2D;
}

/** xᵀ·dy for a weight gradient, transposing whichever operand is cheaper. */
function weightGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  if (x.shape[1]! <= dy.shape[1]!) return tf.matMul(transpose2d(x), dy);
  return transpose2d(tf.matMul(transpose2d(dy), x));
}

/** C[m, g, n] = Σ_k A[m, k, g] · B[k, g, n], as one depthwise convolution (XNNPACK on wasm). */
function groupedMatMulForward(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [M, K, G] = a.shape;
  const N = b.shape[2]!;
  const input = tf.reshape(a, [1, M, K, G]) as tf.Tensor4D;
  const filter = tf.reshape(b, [1, K, G, N]) as tf.Tensor4D;
  return tf.reshape(tf.depthwiseConv2d(input, filter, 1, 'valid'), [M, G, N]);
}

/**
 * G independent matrix products with the group axis last: A [M, K, G], B [K, G, N] → C [M, G, N].
 * wasm runs batched matMul in a scalar loop (~2 GFLOP/s); a depthwise convolution whose input
 * channels are the groups, whose kernel spans K and whose channel multiplier is N computes the
 * same sums on XNNPACK, 3-4x faster for attention-sized products. Both gradients are again grouped
 * products (wasm has no depthwise-convolution backprop kernels).
 */
export const groupedMatMul = customGrad((...args) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: groupedMatMulForward(a, b),
    gradFunc: (dy, [sa, sb]) => [
      // dA[m, k, g] = Σ_n dC[m, g, n] · B[k, g, n]
      tf.transpose(groupedMatMulForward(tf.transpose(dy, [0, 2, 1]), tf.transpose(sb, [2, 1, 0])), [0, 2, 1]),
      // dB[k, g, n] = Σ_m A[m, k, g] · dC[m, g, n]
      groupedMatMulForward(tf.transpose(sa, [1, 0, 2]), dy),
    ],
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** x · W for 2-D x [N, in] and W [in, out]. */
export const matMul2d = customGrad((...args) => {
  const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy, [sx, sw]) => [tf.matMul(dy, transpose2d(sw)), weightGrad(sx, dy)],
  };
}) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** x · W + b for 2-D x [N, in], W [in, out], b [out] (GPT-2's Conv1D). */
export const linear = customGrad((...args) => {
  const [x, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy, [sx, sw]) => [tf.matMul(dy, transpose2d(sw)), weightGrad(sx, dy), columnSums(dy)],
  };
}) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Rows of `table` [V, D] for `ids` [N] int32; the gradient scatters (summing duplicates). */
export const embeddingLookup = customGrad((...args) => {
  const [table, ids, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  const [V, D] = table.shape;
  // For small vocabularies one-hot · table on XNNPACK beats wasm's gather (measured ~5x at V=67).
  const value = V <= 512 ? tf.matMul(oneHotFloat(ids, V), table) : tf.gather(table, ids);
  return {
    value,
    gradFunc: (dy, [sIds]) => [tf.scatterND(tf.expandDims(sIds, 1), dy, [V, D]), tf.zerosLike(sIds)],
  };
}) as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

/** x [B, T, D] + pos [T, D]; the position gradient sums over the batch with a matMul. */
export const addPositions = customGrad((...args) => {
  const [x, pos] = args as [tf.Tensor, tf.Tensor];
  const [B, T, D] = x.shape;
  return {
    value: tf.add(x, pos),
    gradFunc: (dy) => [dy, tf.reshape(columnSums(tf.reshape(dy, [B, T * D])), [T, D])],
  };
}) as (x: tf.Tensor, pos: tf.Tensor) => tf.Tensor;

/** LayerNorm over the last axis of 2-D x [N, D] (biased variance, as GPT-2), with a closed-form gradient. */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const op = customGrad((...args) => {
    const [sx, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const centered = tf.sub(sx, tf.mean(sx, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    const normed = tf.mul(centered, rstd);
    save([normed, rstd, g]);
    return {
      value: tf.add(tf.mul(normed, g), b),
      gradFunc: (dy, [n, r, sg]) => {
        const dn = tf.mul(dy, sg);
        const dx = tf.mul(r, tf.sub(tf.sub(dn, tf.mean(dn, -1, true)), tf.mul(n, tf.mean(tf.mul(dn, n), -1, true))));
        return [dx, columnSums(tf.mul(dy, n)), columnSums(dy)];
      },
    };
  });
  return op(x, gain, bias);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * GPT-2's tanh-approximated GELU ("gelu_new"), written through the identity
 * 0.5·x·(1 + tanh(z)) = x·sigmoid(2z) because wasm's sigmoid is ~10x faster than its tanh.
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const twoZ = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), 2 * GELU_C);
  return tf.mul(x, tf.sigmoid(twoZ));
}

/**
 * Mean next-token cross-entropy of `logits` [N, V] against `targets` [N] int32. The forward pass
 * keeps the softmax it computes, so the gradient (softmax − onehot)/N costs two elementwise passes.
 */
export const softmaxCrossEntropy = customGrad((...args) => {
  const [logits, targets, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const [N, V] = logits.shape;
  const shifted = tf.sub(logits, tf.max(logits, -1, true));
  const exps = tf.exp(shifted);
  const sums = tf.sum(exps, -1, true);
  const rowStarts = tf.range(0, N * V, V, 'int32');
  const picked = tf.gather(tf.reshape(shifted, [N * V]), tf.add(rowStarts, targets));
  save([tf.div(exps, sums), targets]);
  return {
    value: tf.mean(tf.sub(tf.reshape(tf.log(sums), [N]), picked)),
    gradFunc: (dy, [probs, st]) => [tf.mul(tf.sub(probs, oneHotFloat(st, V)), tf.div(dy, N)), tf.zerosLike(st)],
  };
}) as (logits: tf.Tensor, targets: tf.Tensor) => tf.Scalar;

const maskCache = new Map<number, Float32Array>();

/** Additive causal mask [T, T]: 0 where key ≤ query, -1e9 above the diagonal. */
export function causalMask(T: number): tf.Tensor2D {
  let data = maskCache.get(T);
  if (!data) {
    data = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = -1e9;
    maskCache.set(T, data);
  }
  return tf.tensor2d(data, [T, T]);
}
