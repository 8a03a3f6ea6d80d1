import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DecoderConfig, decoderReferenceForward, hfDecoderConfigJson } from '../src/onnx/decoder-families';
import { importDecoderDir } from '../src/pipelines/import-decoder';
import { decoderLogits, initDecoderWeights, trainDecoder } from '../src/train';
import { TorchStyleOptions, writeTorchStyleDecoder } from './torch-style-decoder';

const config = (extra: Partial<DecoderConfig> = {}): DecoderConfig => ({
  family: 'llama',
  vocabSize: 37,
  hiddenSize: 32,
  intermediateSize: 48,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositions: 16,
  tieWordEmbeddings: false,
  eosTokenId: 0,
  ...extra,
});

const ids = [Array.from({ length: 8 }, (_, i) => (i * 5 + 2) % 37)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function runFile(file: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [1, 8]) });
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('importing llama-family weights from ONNX exports', () => {
  const cases: [string, Partial<DecoderConfig>, TorchStyleOptions][] = [
    ['llama, torch/Optimum naming (anonymous [in, out] MatMul weights)', {}, { naming: 'anonymous' }],
    ['llama, Hugging Face names behind Transpose, float16, external data', {}, { naming: 'hf', float16: true, externalData: true }],
    ['qwen2 (q/k/v biases), anonymous', { family: 'qwen2', kvHeads: 4 }, { naming: 'anonymous' }],
    ['gemma (tied head, 1 + w norms folded by the export), anonymous', { family: 'gemma', tieWordEmbeddings: true, headDim: 8 }, { naming: 'anonymous' }],
  ];

  it.each(cases)('%s: the imported weights give the file’s own logits (≤ 1e-4)', async (name, extra, options) => {
    const c = config(extra);
    const weights = initDecoderWeights(c, 3, { std: 0.2, randomizeAffine: true });
    const dir = path.join(tmp, name.replace(/\W+/g, '-'));
    const file = writeTorchStyleDecoder(dir, c, weights, options);
    const fileLogits = await runFile(file);
    if (!options.float16) {
      // The file really is this model.
      expect(maxAbsDiff(fileLogits, decoderReferenceForward(weights, c, { inputIds: ids }).logits)).toBeLessThanOrEqual(1e-4);
    }
    const imported = importDecoderDir(dir);
    expect(imported.file).toBe('model.onnx');
    expect(imported.config.family).toBe(c.family);
    expect(Object.keys(imported.weights).sort()).toEqual(Object.keys(weights).sort());
    for (const [key, t] of Object.entries(weights)) {
      expect(imported.weights[key].shape).toEqual(t.shape);
      // float16 storage rounds to 11 significant bits.
      expect(maxAbsDiff(imported.weights[key].data, t.data)).toBeLessThanOrEqual(options.float16 ? 2e-3 : 1e-6);
    }
    expect(maxAbsDiff(await decoderLogits(imported, ids), fileLogits)).toBeLessThanOrEqual(1e-4);
  });

  it('fine-tunes an imported model with LoRA (the loss falls)', async () => {
    const c = config();
    const dir = path.join(tmp, 'tune');
    writeTorchStyleDecoder(dir, c, initDecoderWeights(c, 4), { naming: 'anonymous' });
    const imported = importDecoderDir(dir);
    const examples = Array.from({ length: 60 }, (_, i) => Array.from({ length: 20 }, (_, j) => 2 + ((i + j * 3) % 7)));
    const common = { initialWeights: imported, examples, bosId: 0, eosId: 1, batchSize: 8, evalEvery: 30, seed: 1 };
    const before = await trainDecoder({ ...common, lora: { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'up_proj'] }, maxSteps: 1, learningRate: 0 });
    const after = await trainDecoder({ ...common, lora: { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'up_proj'] }, maxSteps: 30, learningRate: 3e-2 });
    expect(after.report.valLoss!).toBeLessThan(before.report.valLoss! - 0.3);
  });

  it('says clearly what is wrong with a directory it cannot import', () => {
    const c = config();
    const dir = path.join(tmp, 'bad');
    writeTorchStyleDecoder(dir, c, initDecoderWeights(c, 5), { naming: 'hf', externalData: true });
    const json = hfDecoderConfigJson(c);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...json, model_type: 'falcon' }));
    expect(() => importDecoderDir(dir)).toThrow(/model_type "falcon" is not supported/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...json, num_hidden_layers: 3 }));
    expect(() => importDecoderDir(dir)).toThrow(/does not hold .*model\.layers\.2/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(json));
    fs.truncateSync(path.join(dir, 'model.onnx_data'), 100);
    expect(() => importDecoderDir(dir)).toThrow(/truncated/);
    expect(() => importDecoderDir(path.join(tmp, 'nowhere'))).toThrow(/no config\.json/);
  });
});
