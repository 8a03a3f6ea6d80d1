import * as ort from 'onnxruntime-node';
import { gptLogits, trainGpt } from '../src/train';
import { buildGptOnnx, GPT_ONNX_NAMES } from '../src/onnx/gpt-export';
import { charCorpus } from './train-corpus';

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
}

describe('trained weights → ONNX → onnxruntime-node', () => {
  it("gives the logits of the trainer's forward graph (≤ 1e-4)", async () => {
    const corpus = charCorpus(20_000);
    const { weights } = await trainGpt({
      model: { vocabSize: corpus.vocabSize, contextLength: 24, layers: 2, heads: 2, dim: 32 },
      examples: corpus.examples,
      bosId: corpus.bosId,
      eosId: corpus.eosId,
      batchSize: 8,
      maxSteps: 30,
      learningRate: 5e-3,
      evalEvery: 30,
      seed: 5,
    });
    const ids = [corpus.encode('KING HENRY:\nOnce more unto the breach'), corpus.encode('HAMLET:\nTo be, or not to be, that')].map((r) => r.slice(0, 24));
    const [B, S] = [ids.length, ids[0].length];
    expect(ids[1]).toHaveLength(S);

    const trainerLogits = await gptLogits(weights, ids);

    const session = await ort.InferenceSession.create(buildGptOnnx(weights, { withPast: false }));
    const positions = ids.map((row) => row.map((_, i) => i));
    const out = await session.run({
      [GPT_ONNX_NAMES.inputIds]: int64(ids),
      [GPT_ONNX_NAMES.attentionMask]: int64(ids.map((row) => row.map(() => 1))),
      [GPT_ONNX_NAMES.positionIds]: int64(positions),
    });
    const logits = out[GPT_ONNX_NAMES.logits] as ort.Tensor;
    expect(logits.dims).toEqual([B, S, corpus.vocabSize]);
    const onnx = logits.data as Float32Array;
    let max = 0;
    for (let i = 0; i < onnx.length; i++) max = Math.max(max, Math.abs(onnx[i] - trainerLogits[i]));
    expect(max).toBeLessThanOrEqual(1e-4);
    await session.release();
  });
});
