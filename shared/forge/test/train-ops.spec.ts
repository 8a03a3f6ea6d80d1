import * as tf from '@tensorflow/tfjs';
import { ensureTfBackend } from '../src/train';
import {
  addPositions,
  embeddingLookup,
  geluNew,
  groupedMatMul,
  layerNorm,
  linear,
  matMul2d,
  oneHotFloat,
  softmaxCrossEntropy,
  transpose2d,
} from '../src/train/tf-ops';

/**
 * The trainer's hand-written gradients against tfjs autograd of the plain formulas (whose
 * gradients exist on wasm, only slower), on random inputs and a random upstream gradient.
 */
type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function expectSameValueAndGrads(fast: Fn, plain: Fn, inputs: tf.Tensor[], tol = 1e-4): void {
  tf.tidy(() => {
    const vFast = fast(...inputs);
    const vPlain = plain(...inputs);
    expect(maxDiff(vFast, vPlain)).toBeLessThanOrEqual(tol);
    const upstream = tf.randomNormal(vPlain.shape, 0, 1, 'float32', 7);
    const weigh = (f: Fn) => (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), upstream));
    const gFast = tf.grads(weigh(fast))(inputs);
    const gPlain = tf.grads(weigh(plain))(inputs);
    gFast.forEach((g, i) => expect(maxDiff(g, gPlain[i])).toBeLessThanOrEqual(tol));
  });
}

const rand = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('trainer tf ops (wasm): custom gradients equal autograd', () => {
  beforeAll(async () => {
    expect(await ensureTfBackend()).toBe('wasm');
  });

  it('transpose2d equals tf.transpose for tall, wide and odd shapes', () => {
    for (const shape of [[256, 16], [96, 8], [67, 5], [8, 128], [37, 37]]) {
      tf.tidy(() => {
        const x = rand(shape, 1);
        expect(maxDiff(transpose2d(x), tf.transpose(x))).toBe(0);
      });
    }
  });

  it('matMul2d, linear, groupedMatMul', () => {
    const x = rand([64, 12], 1);
    const w = rand([12, 20], 2);
    const wTall = rand([12, 5], 3);
    const b = rand([20], 4);
    expectSameValueAndGrads(matMul2d, (a, c) => tf.matMul(a, c), [x, w]);
    expectSameValueAndGrads(matMul2d, (a, c) => tf.matMul(a, c), [x, wTall]);
    expectSameValueAndGrads(linear, (a, c, d) => tf.add(tf.matMul(a, c), d), [x, w, b]);
    // groupedMatMul: A [M, K, G] · B [K, G, N] → [M, G, N], i.e. a batched matMul with the group axis moved last.
    const plainGrouped = (a: tf.Tensor, c: tf.Tensor): tf.Tensor =>
      tf.transpose(tf.matMul(tf.transpose(a, [2, 0, 1]), tf.transpose(c, [1, 0, 2])), [1, 0, 2]);
    expectSameValueAndGrads(groupedMatMul, plainGrouped, [rand([9, 4, 6], 5), rand([4, 6, 7], 6)]);
    expectSameValueAndGrads(groupedMatMul, plainGrouped, [rand([16, 16, 12], 5), rand([16, 12, 8], 6)]);
  });

  it('layerNorm, geluNew, addPositions', () => {
    const x = rand([48, 16], 7);
    const plainLn = (a: tf.Tensor, g: tf.Tensor, c: tf.Tensor): tf.Tensor => {
      const centered = tf.sub(a, tf.mean(a, -1, true));
      return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(tf.mean(tf.square(centered), -1, true), 1e-5))), g), c);
    };
    expectSameValueAndGrads((a, g, c) => layerNorm(a, g, c, 1e-5), plainLn, [x, rand([16], 8), rand([16], 9)]);
    const plainGelu = (a: tf.Tensor): tf.Tensor =>
      tf.mul(tf.mul(a, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(a, tf.mul(tf.pow(a, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
    expectSameValueAndGrads(geluNew, plainGelu, [tf.mul(x, 3)]);
    expectSameValueAndGrads(addPositions, (a, p) => tf.add(a, p), [rand([3, 5, 8], 10), rand([5, 8], 11)]);
  });

  it('embeddingLookup (one-hot path and gather path) with repeated ids', () => {
    for (const V of [37, 600]) {
      const ids = tf.tensor1d([0, 5, 5, V - 1, 3, 5, 0], 'int32');
      const table = rand([V, 6], 12);
      const fast = (t: tf.Tensor): tf.Tensor => embeddingLookup(t as tf.Tensor2D, ids as tf.Tensor1D);
      expectSameValueAndGrads(fast, (t) => tf.matMul(oneHotFloat(ids, V), t), [table]);
    }
  });

  it('softmaxCrossEntropy equals -mean(log_softmax at the target)', () => {
    const targets = tf.tensor1d([0, 3, 3, 9, 1, 2], 'int32');
    const plain = (l: tf.Tensor): tf.Tensor => tf.neg(tf.mean(tf.sum(tf.mul(oneHotFloat(targets, 10), tf.logSoftmax(l)), -1)));
    expectSameValueAndGrads((l) => softmaxCrossEntropy(l, targets), plain, [tf.mul(rand([6, 10], 13), 4)]);
  });
});
