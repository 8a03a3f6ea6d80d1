import * as ort from 'onnxruntime-node';
import { SeededRng } from '../src/train/rng';
import { add, concat, crossEntropy, gather, gemm, geluTanh, headCrossEntropy, layerNorm, matmul, meanAll, mul, rmsNorm, rope, silu, softmax, split, sub } from '../src/train/graph/ops';
import { Tape, Val } from '../src/train/graph/tape';

/**
 * Every differentiable op's hand-derived gradient against central finite differences of onnxruntime's own forward
 * pass: f(inputs) = Σ op(inputs) ⊙ R for a fixed random R, so every output element's gradient path is exercised.
 */
interface Case {
  name: string;
  inputs: { shape: number[]; int?: number; grad?: boolean }[];
  op: (t: Tape, xs: Val[]) => Val;
}

const rng = new SeededRng(7);
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

async function checkGradients(c: Case): Promise<number> {
  const t = new Tape();
  const xs = c.inputs.map((spec, i) => t.input(`x${i}`, spec.shape, spec.int ? 'int64' : 'float32', !spec.int && spec.grad !== false));
  const y = c.op(t, xs);
  const r = t.constant(randn(size([...y.shape])), y.shape);
  const f = meanAll(t, mul(t, y, r));
  const wrt = xs.filter((x) => x.requiresGrad);
  const grads = t.backward([[f, t.scalar(1)]], wrt);
  const model = t.extract([f, ...wrt.map((w) => grads.get(w.name)!)], { outputNames: ['f', ...wrt.map((w) => `g_${w.name}`)] });
  const fOnly = t.extract([f], { outputNames: ['f'] });
  const session = await ort.InferenceSession.create(model.bytes);
  const forward = await ort.InferenceSession.create(fOnly.bytes);
  const data = c.inputs.map((spec) => (spec.int ? BigInt64Array.from({ length: size(spec.shape) }, () => BigInt(Math.floor(rng.next() * spec.int!))) : randn(size(spec.shape))));
  const feeds = (): Record<string, ort.Tensor> =>
    Object.fromEntries(c.inputs.map((spec, i) => [`x${i}`, spec.int ? new ort.Tensor('int64', data[i] as BigInt64Array, spec.shape) : new ort.Tensor('float32', data[i] as Float32Array, spec.shape)]));
  const out = await session.run(feeds());
  let worst = 0;
  for (const w of wrt) {
    const x = data[xs.indexOf(w)] as Float32Array;
    const g = out[`g_${w.name}`].data as Float32Array;
    for (let k = 0; k < Math.min(x.length, 12); k++) {
      const idx = Math.floor((k * x.length) / Math.min(x.length, 12));
      const orig = x[idx];
      const h = 1e-2;
      x[idx] = orig + h;
      const fp = ((await forward.run(feeds())).f.data as Float32Array)[0];
      x[idx] = orig - h;
      const fm = ((await forward.run(feeds())).f.data as Float32Array)[0];
      x[idx] = orig;
      const numeric = (fp - fm) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - g[idx]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(g[idx])));
    }
  }
  await session.release();
  await forward.release();
  return worst;
}

const cases: Case[] = [
  { name: 'add with broadcast', inputs: [{ shape: [3, 4] }, { shape: [4] }], op: (t, [a, b]) => add(t, a, b) },
  { name: 'sub with broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], op: (t, [a, b]) => sub(t, a, b) },
  { name: 'mul with broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [1, 4] }], op: (t, [a, b]) => mul(t, a, b) },
  { name: 'gemm', inputs: [{ shape: [5, 3] }, { shape: [3, 4] }, { shape: [4] }], op: (t, [a, b, c]) => gemm(t, a, b, { bias: c }) },
  { name: 'gemm transA', inputs: [{ shape: [3, 5] }, { shape: [3, 4] }], op: (t, [a, b]) => gemm(t, a, b, { transA: true }) },
  { name: 'gemm transB', inputs: [{ shape: [5, 3] }, { shape: [4, 3] }], op: (t, [a, b]) => gemm(t, a, b, { transB: true }) },
  { name: 'gemm transA transB', inputs: [{ shape: [3, 5] }, { shape: [4, 3] }], op: (t, [a, b]) => gemm(t, a, b, { transA: true, transB: true }) },
  { name: 'gemm, frozen weight', inputs: [{ shape: [5, 3] }, { shape: [4, 3], grad: false }], op: (t, [a, b]) => gemm(t, a, b, { transB: true }) },
  { name: 'batched matmul', inputs: [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 5, 2] }], op: (t, [a, b]) => matmul(t, a, b) },
  { name: 'batched matmul ·Bᵀ', inputs: [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 6, 5] }], op: (t, [a, b]) => matmul(t, a, b, true) },
  { name: 'softmax', inputs: [{ shape: [3, 7] }], op: (t, [a]) => softmax(t, a) },
  { name: 'layerNorm', inputs: [{ shape: [4, 6] }, { shape: [6] }, { shape: [6] }], op: (t, [x, g, b]) => layerNorm(t, x, g, b, 1e-5) },
  { name: 'rmsNorm', inputs: [{ shape: [4, 6] }, { shape: [6] }], op: (t, [x, w]) => rmsNorm(t, x, w, 1e-6) },
  { name: 'rmsNorm (1 + w)', inputs: [{ shape: [4, 6] }, { shape: [6] }], op: (t, [x, w]) => rmsNorm(t, x, w, 1e-6, true) },
  { name: 'geluTanh', inputs: [{ shape: [5, 4] }], op: (t, [x]) => geluTanh(t, x) },
  { name: 'silu', inputs: [{ shape: [5, 4] }], op: (t, [x]) => silu(t, x) },
  { name: 'rope', inputs: [{ shape: [2, 2, 3, 8] }, { shape: [3, 8], grad: false }, { shape: [3, 8], grad: false }], op: (t, [x, c, s]) => rope(t, x, c, s) },
  { name: 'gather (embedding rows, repeated ids)', inputs: [{ shape: [5, 3] }, { shape: [2, 6], int: 5 }], op: (t, [w, ids]) => gather(t, w, ids) },
  { name: 'split / concat', inputs: [{ shape: [3, 6] }], op: (t, [x]) => { const [a, b, c] = split(t, x, 1, [1, 2, 3]); return concat(t, [c, mul(t, a, a)], 1); } },
  { name: 'reshape / transpose', inputs: [{ shape: [2, 6] }], op: (t, [x]) => t.transpose(t.reshape(x, [2, 3, 2]), [2, 0, 1]) },
  { name: 'cross-entropy', inputs: [{ shape: [6, 5] }, { shape: [6], int: 5 }], op: (t, [l, tg]) => crossEntropy(t, l, tg) },
  { name: 'LM head + cross-entropy, fused (repeated targets)', inputs: [{ shape: [6, 4] }, { shape: [5, 4] }, { shape: [6], int: 3 }], op: (t, [h, w, tg]) => headCrossEntropy(t, h, w, tg) },
];

describe('training-graph ops: hand-derived gradients against finite differences (onnxruntime)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await checkGradients(c)).toBeLessThan(3e-3);
  });
});
