import { Tokenizer } from '@huggingface/tokenizers';
import { mkdtemp, readFile, rm } from 'fs/promises';
import * as ort from 'onnxruntime-node';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  buildClassifierOnnx,
  CLASSIFIER_ONNX_NAMES,
  classifierReferenceForward,
  ClassifierWeights,
  corpusExamples,
  randomClassifierWeights,
  readToxicityCorpus,
  TextClassifierModel,
  ToxicityExample,
  TrainedToxicityClassifier,
  trainToxicityClassifier,
} from '@assay/forge';
import { ensureTfBackend } from '../src/train/tf-backend';

const DATA_DIR = path.resolve(__dirname, '../../../../shared/data');
const TOL = 1e-4;

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
}

async function runOnnx(bytes: Uint8Array, ids: number[][], mask: number[][]): Promise<{ logits: Float32Array; probabilities: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [CLASSIFIER_ONNX_NAMES.inputIds]: int64(ids), [CLASSIFIER_ONNX_NAMES.attentionMask]: int64(mask) });
    const logits = out[CLASSIFIER_ONNX_NAMES.logits] as ort.Tensor;
    const probabilities = out[CLASSIFIER_ONNX_NAMES.probabilities] as ort.Tensor;
    expect(logits.dims).toEqual([ids.length, 2]);
    expect(probabilities.dims).toEqual([ids.length]);
    return { logits: logits.data as Float32Array, probabilities: probabilities.data as Float32Array };
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function tfPredict(weights: ClassifierWeights, ids: number[][], mask: number[][]): { logits: Float32Array; probabilities: Float32Array } {
  const model = new TextClassifierModel(weights.shape, weights);
  try {
    return model.predict(ids, mask);
  } finally {
    model.dispose();
  }
}

/** ONNX, tfjs and the float64 reference agree on the same padded batch. */
async function expectParity(weights: ClassifierWeights, bytes: Uint8Array, ids: number[][], mask: number[][]): Promise<void> {
  const ref = classifierReferenceForward(weights, ids, mask);
  const onnx = await runOnnx(bytes, ids, mask);
  const tfjs = tfPredict(weights, ids, mask);
  expect(maxAbsDiff(onnx.logits, ref.logits.flat())).toBeLessThanOrEqual(TOL);
  expect(maxAbsDiff(onnx.probabilities, ref.probabilities)).toBeLessThanOrEqual(TOL);
  expect(maxAbsDiff(tfjs.logits, ref.logits.flat())).toBeLessThanOrEqual(TOL);
  expect(maxAbsDiff(tfjs.probabilities, onnx.probabilities)).toBeLessThanOrEqual(TOL);
}

describe('text classifier ONNX export', () => {
  beforeAll(() => ensureTfBackend());

  it('matches the reference forward and tfjs, padding and empty rows included', async () => {
    const weights = randomClassifierWeights({ vocabSize: 37, dim: 8, hidden: 5 }, 7);
    // Larger embeddings and live ReLUs so the logits depend visibly on the input.
    weights.embedding.forEach((v, i) => (weights.embedding[i] = 10 * v));
    weights.hiddenBias.fill(0.2);
    weights.outputBias.set([0.3, -0.2]);
    const ids = [
      [3, 9, 9, 14, 36, 0],
      [5, 2, 0, 0, 0, 0],
      [11, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ];
    const mask = [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ];
    const bytes = buildClassifierOnnx(weights);
    await expectParity(weights, bytes, ids, mask);
    // Padding is ignored: row 1 alone, unpadded, gives the same output.
    const alone = classifierReferenceForward(weights, [[5, 2]], [[1, 1]]);
    const padded = classifierReferenceForward(weights, [ids[1]], [mask[1]]);
    expect(alone.logits[0][0]).toBeCloseTo(padded.logits[0][0], 12);
    const distinct = new Set(classifierReferenceForward(weights, ids, mask).probabilities.map((p) => p.toFixed(6)));
    expect(distinct.size).toBe(4);
  });
});

/** A seeded subsample of every source so the whole file stays well under a minute. */
function subsample(examples: ToxicityExample[]): ToxicityExample[] {
  const take = { davidson: 7, hatecheck: 2, toxigen: 1, wikitext: 1 } as const;
  const seen = { davidson: 0, hatecheck: 0, toxigen: 0, wikitext: 0 };
  return examples.filter((e) => seen[e.source]++ % take[e.source] === 0);
}

describe('toxicity classifier trained on a subsample', () => {
  const options = { vocabSize: 1024, dim: 32, hidden: 32, epochs: 8, seed: 11 };
  let examples: ToxicityExample[];
  let trained: TrainedToxicityClassifier;
  let n: number;
  let outDir: string;

  beforeAll(async () => {
    examples = subsample(corpusExamples(await readToxicityCorpus(DATA_DIR)));
    n = examples.length;
    trained = await trainToxicityClassifier({ examples, ...options });
    outDir = await mkdtemp(path.join(tmpdir(), 'forge-classifier-'));
    await trained.writeModelDir(outDir);
  });

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('ranks held-out test texts well above chance', () => {
    const { report } = trained;
    expect(report.sizes.train + report.sizes.validation + report.sizes.test).toBe(n);
    expect(report.sizes.test).toBeGreaterThan(300);
    expect(report.test.auroc).toBeGreaterThanOrEqual(0.75);
    expect(report.test.balancedAccuracy).toBeGreaterThan(0.65);
    expect(report.threshold).toBeGreaterThan(0);
    expect(report.threshold).toBeLessThan(1);
    expect(Object.keys(report.test_by_source).sort()).toEqual(['davidson', 'hatecheck', 'toxigen']);
    expect(report.training.backend).toBe('wasm');
  });

  it('scores obvious insults above obviously benign sentences', () => {
    const toxic = ['you are a stupid fucking bitch', 'shut up you worthless piece of shit', 'fuck you, you dumb ass hoe'];
    const benign = ['thank you so much for your help today', 'the weather is lovely this morning', 'we had a great time at the museum'];
    const { inputIds, attentionMask } = trained.encoder.encodeBatch([...toxic, ...benign]);
    const { probabilities } = classifierReferenceForward(trained.weights, inputIds, attentionMask);
    const minToxic = Math.min(...probabilities.slice(0, toxic.length));
    const maxBenign = Math.max(...probabilities.slice(toxic.length));
    expect(minToxic).toBeGreaterThan(maxBenign);
  });

  it('writes a model directory that onnxruntime and @huggingface/tokenizers serve identically', async () => {
    const read = (name: string): Promise<string> => readFile(path.join(outDir, name), 'utf8');
    const config = JSON.parse(await read('config.json'));
    expect(config).toMatchObject({
      model_type: 'assay-text-classifier',
      labels: ['non-toxic', 'toxic'],
      max_length: 128,
      pad_token_id: trained.encoder.padId,
      vocab_size: trained.weights.shape.vocabSize,
      assay: { task: 'text-classification', positive_label: 'toxic', positive_index: 1, threshold: trained.report.threshold, lowercase: true },
    });
    const report = JSON.parse(await read('report.json'));
    expect(report.test.auroc).toBeCloseTo(trained.report.test.auroc!, 12);

    const texts = ['You ARE a Stupid B*tch!!', 'Lovely weather, isn\'t it?', 'RT @user: what a day &amp; night', '', 'ok'];
    const hf = new Tokenizer(JSON.parse(await read('tokenizer.json')), JSON.parse(await read('tokenizer_config.json')));
    for (const text of texts) {
      const ids = text ? hf.encode(text, { add_special_tokens: false }).ids : [];
      expect({ text, ids: ids.slice(0, 128) }).toEqual({ text, ids: trained.encoder.encode(text) });
    }
    const { inputIds, attentionMask } = trained.encoder.encodeBatch(texts);
    await expectParity(trained.weights, await readFile(path.join(outDir, 'model.onnx')), inputIds, attentionMask);
  });

  it('is deterministic for a seed', async () => {
    const again = await trainToxicityClassifier({ examples, ...options });
    expect(again.report.training.steps).toBe(trained.report.training.steps);
    expect(maxAbsDiff(again.weights.embedding, trained.weights.embedding)).toBe(0);
    expect(maxAbsDiff(again.weights.outputWeight, trained.weights.outputWeight)).toBe(0);
    expect(again.report.test.auroc).toBe(trained.report.test.auroc);
  });
});
