import * as ort from 'onnxruntime-node';
import {
  buildGptOnnx,
  geluNew,
  GPT_ONNX_NAMES,
  GptShape,
  GptWeights,
  positionIdsFromMask,
  randomGptWeights,
  referenceForward,
} from '@assay/forge';

const shape: GptShape = { vocabSize: 61, contextLength: 24, layers: 2, heads: 4, dim: 16, layerNormEps: 1e-5 };
const TOL = 1e-4;
const headDim = shape.dim / shape.heads;

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]?.length ?? 0]);
}

function emptyPast(batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < shape.layers; l++) {
    feeds[GPT_ONNX_NAMES.pastKey(l)] = new ort.Tensor('float32', new Float32Array(0), [batch, shape.heads, 0, headDim]);
    feeds[GPT_ONNX_NAMES.pastValue(l)] = new ort.Tensor('float32', new Float32Array(0), [batch, shape.heads, 0, headDim]);
  }
  return feeds;
}

function presentsAsPast(out: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < shape.layers; l++) {
    feeds[GPT_ONNX_NAMES.pastKey(l)] = out[GPT_ONNX_NAMES.presentKey(l)] as ort.Tensor;
    feeds[GPT_ONNX_NAMES.pastValue(l)] = out[GPT_ONNX_NAMES.presentValue(l)] as ort.Tensor;
  }
  return feeds;
}

/** Max |a - b| over the rows of [*, width] slices a[aRow] vs b[bRow]. */
function maxDiffRows(a: Float32Array, aRows: number[], b: Float32Array, bRows: number[], width: number): number {
  let max = 0;
  aRows.forEach((ar, i) => {
    for (let k = 0; k < width; k++) max = Math.max(max, Math.abs(a[ar * width + k] - b[bRows[i] * width + k]));
  });
  return max;
}

function seededIds(seed: number, n: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % shape.vocabSize;
  });
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const diffs: Record<string, number> = {};

describe('GPT-2 ONNX export', () => {
  let weights: GptWeights;
  let withPast: ort.InferenceSession;
  let noPast: ort.InferenceSession;

  beforeAll(async () => {
    // Larger-than-GPT-2 init and random affine parameters so any wiring error shows in the logits.
    weights = randomGptWeights(shape, 7, { std: 0.3, randomizeAffine: true });
    withPast = await ort.InferenceSession.create(buildGptOnnx(weights));
    noPast = await ort.InferenceSession.create(buildGptOnnx(weights, { withPast: false }));
  });

  afterAll(async () => {
    await withPast?.release();
    await noPast?.release();
    // eslint-disable-next-line no-console
    console.log('max abs diffs', diffs);
  });

  it('reference forward: gelu_new values, causality, and the tied head', () => {
    expect(geluNew(1)).toBeCloseTo(0.8411919906, 9); // HF NewGELUActivation(1.0)
    expect(geluNew(-2)).toBeCloseTo(-0.0454023059, 9);
    const a = referenceForward(weights, { inputIds: [[5, 9, 13, 2]] });
    const b = referenceForward(weights, { inputIds: [[5, 9, 13, 40]] });
    const V = shape.vocabSize;
    expect(Array.from(a.logits.slice(0, 3 * V))).toEqual(Array.from(b.logits.slice(0, 3 * V)));
    expect(Array.from(a.logits.slice(3 * V))).not.toEqual(Array.from(b.logits.slice(3 * V)));
    // logits = hidden · wteᵀ
    let dot = 0;
    for (let d = 0; d < shape.dim; d++) dot += a.hiddenStates[d] * weights.tokenEmbedding[7 * shape.dim + d];
    expect(a.logits[7]).toBeCloseTo(dot, 4);
  });

  it('declares the Optimum input/output names', () => {
    const pastNames = range(shape.layers).flatMap((l) => [GPT_ONNX_NAMES.pastKey(l), GPT_ONNX_NAMES.pastValue(l)]);
    const presentNames = range(shape.layers).flatMap((l) => [GPT_ONNX_NAMES.presentKey(l), GPT_ONNX_NAMES.presentValue(l)]);
    expect(withPast.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...pastNames]);
    expect(withPast.outputNames).toEqual(['logits', ...presentNames, 'hidden_states']);
    expect(noPast.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(noPast.outputNames).toEqual(['logits', 'hidden_states']);
  });

  it('matches the reference forward pass (logits and hidden states, with and without past inputs)', async () => {
    const ids = [seededIds(1, 9), seededIds(2, 9)];
    const mask = ids.map((r) => r.map(() => 1));
    const pos = positionIdsFromMask(mask);
    const ref = referenceForward(weights, { inputIds: ids });
    const feeds = { input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(pos) };
    const out = await withPast.run({ ...feeds, ...emptyPast(2) });
    const outNoPast = await noPast.run(feeds);
    expect(out.logits.dims).toEqual([2, 9, shape.vocabSize]);
    expect(out.hidden_states.dims).toEqual([2, 9, shape.dim]);
    expect(out[GPT_ONNX_NAMES.presentKey(0)].dims).toEqual([2, shape.heads, 9, headDim]);
    const rows = range(18);
    diffs.logits = maxDiffRows(out.logits.data as Float32Array, rows, ref.logits, rows, shape.vocabSize);
    diffs.hiddenStates = maxDiffRows(out.hidden_states.data as Float32Array, rows, ref.hiddenStates, rows, shape.dim);
    diffs.noPastLogits = maxDiffRows(outNoPast.logits.data as Float32Array, rows, ref.logits, rows, shape.vocabSize);
    diffs.noPastHidden = maxDiffRows(outNoPast.hidden_states.data as Float32Array, rows, ref.hiddenStates, rows, shape.dim);
    // The logits must be far from trivially small for the tolerance to mean something.
    expect(Math.max(...Array.from(ref.logits, Math.abs))).toBeGreaterThan(1);
    expect(diffs.logits).toBeLessThanOrEqual(TOL);
    expect(diffs.hiddenStates).toBeLessThanOrEqual(TOL);
    expect(diffs.noPastLogits).toBeLessThanOrEqual(TOL);
    expect(diffs.noPastHidden).toBeLessThanOrEqual(TOL);
  });

  it('left padding is invisible: padded batch rows equal unbatched rows, and pad rows stay finite', async () => {
    const lengths = [10, 6, 1];
    const S = 10;
    const seqs = lengths.map((n, i) => seededIds(10 + i, n));
    const ids = seqs.map((r) => [...Array(S - r.length).fill(0), ...r]);
    const mask = seqs.map((r) => [...Array(S - r.length).fill(0), ...r.map(() => 1)]);
    const pos = positionIdsFromMask(mask);
    for (const session of [withPast, noPast]) {
      const extra = session === withPast ? emptyPast(3) : {};
      const out = await session.run({ input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(pos), ...extra });
      const logits = out.logits.data as Float32Array;
      const hidden = out.hidden_states.data as Float32Array;
      expect(logits.every(Number.isFinite)).toBe(true);
      expect(hidden.every(Number.isFinite)).toBe(true);
      for (let b = 0; b < seqs.length; b++) {
        const ref = referenceForward(weights, { inputIds: [seqs[b]] });
        const padded = range(seqs[b].length, b * S + S - seqs[b].length);
        const own = range(seqs[b].length);
        const d = Math.max(
          maxDiffRows(logits, padded, ref.logits, own, shape.vocabSize),
          maxDiffRows(hidden, padded, ref.hiddenStates, own, shape.dim),
        );
        diffs.leftPadded = Math.max(diffs.leftPadded ?? 0, d);
        expect(d).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('KV-cached incremental decoding equals full recomputation (also left-padded)', async () => {
    const lengths = [5, 3];
    const steps = 6;
    const full = lengths.map((n, i) => seededIds(20 + i, n + steps));
    const P = Math.max(...lengths);
    const prefixIds = full.map((r, i) => [...Array(P - lengths[i]).fill(0), ...r.slice(0, lengths[i])]);
    let mask = lengths.map((n) => [...Array(P - n).fill(0), ...Array(n).fill(1)]);
    let out = await withPast.run({
      input_ids: int64(prefixIds),
      attention_mask: int64(mask),
      position_ids: int64(positionIdsFromMask(mask)),
      ...emptyPast(2),
    });
    for (let t = 0; t < steps; t++) {
      const stepIds = full.map((r, i) => [r[lengths[i] + t]]);
      mask = mask.map((row) => [...row, 1]);
      const stepPos = lengths.map((n) => [n + t]);
      out = await withPast.run({
        input_ids: int64(stepIds),
        attention_mask: int64(mask),
        position_ids: int64(stepPos),
        ...presentsAsPast(out),
      });
      expect(out[GPT_ONNX_NAMES.presentValue(1)].dims).toEqual([2, shape.heads, P + t + 1, headDim]);
      for (let b = 0; b < 2; b++) {
        const ref = referenceForward(weights, { inputIds: [full[b].slice(0, lengths[b] + t + 1)] });
        const last = lengths[b] + t;
        const d = Math.max(
          maxDiffRows(out.logits.data as Float32Array, [b], ref.logits, [last], shape.vocabSize),
          maxDiffRows(out.hidden_states.data as Float32Array, [b], ref.hiddenStates, [last], shape.dim),
        );
        diffs.kvCache = Math.max(diffs.kvCache ?? 0, d);
        expect(d).toBeLessThanOrEqual(TOL);
      }
    }
    // Also ONNX-vs-ONNX: the cached last step equals a from-scratch run of the whole padded sequence.
    const allIds = full.map((r, i) => [...Array(P - lengths[i]).fill(0), ...r]);
    const scratch = await noPast.run({
      input_ids: int64(allIds),
      attention_mask: int64(mask),
      position_ids: int64(positionIdsFromMask(mask)),
    });
    const S = P + steps;
    diffs.kvVsScratch = maxDiffRows(out.logits.data as Float32Array, [0, 1], scratch.logits.data as Float32Array, [S - 1, 2 * S - 1], shape.vocabSize);
    expect(diffs.kvVsScratch).toBeLessThanOrEqual(TOL);
  });
});
