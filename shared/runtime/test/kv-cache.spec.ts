import { referenceForward } from '@assay/forge';
import { decoderRunner, describeModelIo, leftPad, LocalEngine, ModelBundle, ModelIo, OnnxSession, PastKeyValues, readModelBundle, runtimeConfig } from '@assay/runtime';
import { newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

/**
 * The KV cache is an optimisation only: logits from incremental decoding must equal a full recomputation
 * of the whole (left-padded) batch, and both must equal forge's float64 reference forward pass.
 */
const TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('KV-cached decoding', () => {
  let model: TestModel;
  let bundle: ModelBundle;
  let session: OnnxSession;
  let io: ModelIo;
  const prompts = [
    [0, 40, 69, 76, 76, 79],
    [0, 72, 73],
  ];
  const continuation = [
    [5, 17, 33, 2, 90, 11],
    [64, 1, 100, 7, 7, 12],
  ];

  beforeAll(async () => {
    model = await newTestModel({ layers: 2, heads: 4, dim: 32, contextLength: 32, seed: 11 });
    bundle = await readModelBundle(model.dir);
    session = (await OnnxSession.open(bundle.modelPath, runtimeConfig({ session: { intraOpNumThreads: 1 } }).session)).session;
    io = describeModelIo(bundle, session.signature);
  });
  afterAll(async () => {
    await session.release();
    await removeTestModels();
  });

  /** Last-position logits of every row, [B, V]. */
  function lastLogits(logits: Float32Array, batch: number, seqLen: number, vocab: number): Float32Array {
    const out = new Float32Array(batch * vocab);
    for (let b = 0; b < batch; b++) out.set(logits.subarray(((b + 1) * seqLen - 1) * vocab, (b + 1) * seqLen * vocab), b * vocab);
    return out;
  }

  it('gives the same logits as full recomputation, step by step, on a left-padded batch (≤ 1e-4)', async () => {
    const { shape } = bundle;
    const runner = decoderRunner(bundle.runner);
    const V = shape.vocabSize;
    const prompt = leftPad(prompts, shape.padTokenId);
    let out = await runner.forward(session, io, prompt);
    let past: PastKeyValues | undefined = out.present;
    const rows = prompts.map((p) => [...p]);
    let worst = 0;
    for (let step = 0; step < continuation[0].length; step++) {
      // Full recomputation of both rows so far, through the same graph with an empty cache.
      const full = leftPad(rows, shape.padTokenId);
      const fullOut = await runner.forward(session, io, full);
      worst = Math.max(worst, maxAbsDiff(lastLogits(out.logits, 2, out.logits.length / (2 * V), V), lastLogits(fullOut.logits, 2, full.seqLen, V)));

      const next = continuation.map((c) => c[step]);
      next.forEach((id, b) => rows[b].push(id));
      const total = full.seqLen + 1;
      const mask = new BigInt64Array(2 * total);
      rows.forEach((row, b) => mask.fill(1n, b * total + (total - row.length), (b + 1) * total));
      out = await runner.forward(session, io, {
        batch: 2,
        seqLen: 1,
        inputIds: BigInt64Array.from(next, BigInt),
        attentionMask: mask,
        positionIds: BigInt64Array.from(rows, (row) => BigInt(row.length - 1)),
        past,
      });
      past = out.present;
      expect(past!.length).toBe(total);
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('matches the float64 reference forward pass of each unpadded sequence (≤ 1e-4)', async () => {
    const { shape } = bundle;
    const runner = decoderRunner(bundle.runner);
    const rows = prompts.map((p, b) => [...p, ...continuation[b]]);
    const padded = leftPad(rows, shape.padTokenId);
    const out = await runner.forward(session, io, { ...padded, wantHiddenStates: true });
    rows.forEach((row, b) => {
      const ref = referenceForward(model.weights, { inputIds: [row] });
      const offset = b * padded.seqLen + (padded.seqLen - row.length);
      const V = shape.vocabSize;
      const D = shape.hiddenSize;
      expect(maxAbsDiff(out.logits.subarray(offset * V, (offset + row.length) * V), ref.logits)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(out.hiddenStates!.subarray(offset * D, (offset + row.length) * D), ref.hiddenStates)).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});

describe('engine with and without a KV cache', () => {
  let engine: LocalEngine;

  beforeAll(async () => {
    engine = newTestEngine();
    const withPast = await newTestModel({ seed: 5, contextLength: 64 });
    const noPast = await newTestModel({ seed: 5, contextLength: 64, withPast: false });
    await engine.loadModel('kv', withPast.dir);
    await engine.loadModel('full', noPast.dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('generates the same tokens, log-probs and hidden states from the same weights', async () => {
    const request = { prompts: ['the cat', 'a', 'on the mat then'], n: 2, maxNewTokens: 24, seed: 9, temperature: 0.9, topK: 20, returnHiddenStates: true };
    const [kv, full] = await Promise.all([engine.generate({ model: 'kv', ...request }), engine.generate({ model: 'full', ...request })]);
    expect(kv.completions.map((c) => c.tokens.map((t) => t.id))).toEqual(full.completions.map((c) => c.tokens.map((t) => t.id)));
    kv.completions.forEach((c, i) => {
      const other = full.completions[i];
      expect(c.text).toBe(other.text);
      expect(c.finishReason).toBe(other.finishReason);
      c.tokens.forEach((t, j) => {
        expect(Math.abs(t.logprob - other.tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE);
        expect(Math.abs(t.samplingLogprob - other.tokens[j].samplingLogprob)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxAbsDiff(c.hiddenStates![j], other.hiddenStates![j])).toBeLessThanOrEqual(TOLERANCE);
      });
    });
  });
});
