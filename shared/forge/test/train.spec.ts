import { Gpt2Architecture, gptLogits, trainGpt, TrainProgress, tokenizeExamples } from '../src/train';
import { randomGptWeights, referenceForward } from '../src/gpt/reference-forward';
import { flattenGptWeights, GptWeights, gptWeightsFromFlat } from '../src/gpt/gpt-weights';
import { ByteLevelBpe } from '../src/tokenizer/bpe-encoder';
import { trainBpeTokenizer } from '../src/tokenizer/bpe-trainer';
import { END_OF_TEXT, specialTokenId, tokenizerVocabSize } from '../src/tokenizer/tokenizer-json';
import * as fs from 'fs';
import { charCorpus, SHAKESPEARE } from './train-corpus';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('trainGpt on tiny Shakespeare (onnxruntime)', () => {
  const corpus = charCorpus(60_000);
  let trained: GptWeights;
  const progress: TrainProgress[] = [];

  it('lowers the loss substantially within 200 steps and reports on the run', async () => {
    const { weights, report } = await trainGpt({
      model: { vocabSize: corpus.vocabSize, contextLength: 32, layers: 1, heads: 2, dim: 48 },
      examples: corpus.examples,
      bosId: corpus.bosId,
      eosId: corpus.eosId,
      batchSize: 16,
      maxSteps: 200,
      learningRate: 1e-2,
      warmupSteps: 20,
      evalEvery: 50,
      evalWindows: 48,
      // Seeds differ in how far 200 steps get; both engines land within 1e-4 of each other on this one.
      seed: 2,
      onProgress: (p) => progress.push(p),
    });
    trained = weights;
    const uniform = Math.log(corpus.vocabSize);
    expect(report.backend).toBe('onnxruntime');
    expect(report.trainableParameters).toBe(report.parameters);
    expect(progress[0].loss).toBeGreaterThan(uniform - 0.3);
    expect(report.valLoss).not.toBeNull();
    expect(report.valLoss!).toBeLessThan(uniform - 1.2);
    expect(report.trainLoss).toBeLessThan(uniform - 1.2);
    expect(report.valPerplexity).toBeCloseTo(Math.exp(report.valLoss!), 6);
    expect(report.steps).toBe(200);
    expect(report.stopReason).toBe('max-steps');
    expect(report.tokensSeen).toBe(200 * 16 * 32);
    expect(report.tokensPerSec).toBeGreaterThan(0);
    expect(report.parameters).toBe(corpus.vocabSize * 48 + 32 * 48 + 12 * 48 * 48 + 13 * 48 + 2 * 48);
    expect(report.valTokens).toBeGreaterThan(0);
    // Progress: every step, lr following linear warmup then cosine decay to the floor.
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(progress[9].lr).toBeCloseTo(1e-2 * (10 / 20), 10);
    expect(progress[19].lr).toBeCloseTo(1e-2, 10);
    expect(progress[109].lr).toBeCloseTo(1e-3 + 0.5 * 9e-3, 10);
    expect(progress[199].lr).toBeCloseTo(1e-3, 10);
    expect(progress[199].etaSec).toBe(0);
    const mean = (ps: TrainProgress[]): number => ps.reduce((a, p) => a + p.loss, 0) / ps.length;
    expect(mean(progress.slice(180))).toBeLessThan(progress[0].loss - 1.5);
    expect(progress.filter((p) => p.valLoss !== null)[0].step).toBe(50);
    console.log(`[train.spec] 200 steps: ${JSON.stringify({ ...report, hyperparameters: undefined, shape: undefined })}`);
  });

  it('computes the same logits as the reference forward pass on the trained weights (≤ 1e-4)', async () => {
    const ids = [corpus.encode('ROMEO:\nWhat light through yonder'), corpus.encode('First Citizen:\nBefore we proceed')];
    expect(ids[0].length).toBe(ids[1].length);
    const ref = referenceForward(trained, { inputIds: ids });
    expect(maxAbsDiff(await gptLogits(trained, ids), ref.logits)).toBeLessThanOrEqual(1e-4);
  });

  it('matches the reference on random weights with random affine parameters, 2 layers, 4 heads (≤ 1e-4)', async () => {
    const shape = { vocabSize: 53, contextLength: 20, layers: 2, heads: 4, dim: 32, layerNormEps: 1e-5 };
    const weights = randomGptWeights(shape, 11, { std: 0.2, randomizeAffine: true });
    const ids = [Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % 53), Array.from({ length: 20 }, (_, i) => (i * i + 1) % 53)];
    const ref = referenceForward(weights, { inputIds: ids });
    const diff = maxAbsDiff(await gptLogits(weights, ids), ref.logits);
    expect(diff).toBeLessThanOrEqual(1e-4);
    // Shorter sequences use the first positions only.
    const short = ids.map((r) => r.slice(0, 5));
    expect(maxAbsDiff(await gptLogits(weights, short), referenceForward(weights, { inputIds: short }).logits)).toBeLessThanOrEqual(1e-4);
  });

  it('round-trips GptWeights through the parameter map exactly, with decay on matrices only', () => {
    const shape = { vocabSize: 11, contextLength: 8, layers: 2, heads: 2, dim: 8, layerNormEps: 1e-5 };
    const weights = randomGptWeights(shape, 3, { randomizeAffine: true });
    expect(gptWeightsFromFlat(shape, flattenGptWeights(weights))).toEqual(weights);
    const arch = new Gpt2Architecture(shape);
    expect(arch.params.map((p) => p.name).slice(0, 4)).toEqual(['wte', 'wpe', 'h.0.ln_1.weight', 'h.0.ln_1.bias']);
    expect(arch.params.filter((p) => p.decay).map((p) => p.name)).toEqual([
      'wte', 'wpe',
      'h.0.attn.c_attn.weight', 'h.0.attn.c_proj.weight', 'h.0.mlp.c_fc.weight', 'h.0.mlp.c_proj.weight',
      'h.1.attn.c_attn.weight', 'h.1.attn.c_proj.weight', 'h.1.mlp.c_fc.weight', 'h.1.mlp.c_proj.weight',
    ]);
  });

  it('tokenizes texts with a caller-supplied encode function', () => {
    expect(tokenizeExamples(['ab', 'b'], (t) => corpus.encode(t))).toEqual([corpus.encode('ab'), corpus.encode('b')]);
  });

  it('trains on byte-level BPE ids from the forge tokenizer (vocab > 512: the gather embedding path)', async () => {
    const texts = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 80_000).split('\n\n');
    const tokenizer = trainBpeTokenizer({ texts: texts.slice(0, 400), vocabSize: 640 });
    const bpe = new ByteLevelBpe(tokenizer);
    const eot = specialTokenId(tokenizer, END_OF_TEXT);
    const vocabSize = tokenizerVocabSize(tokenizer);
    expect(vocabSize).toBeGreaterThan(512);
    const first: number[] = [];
    const { report } = await trainGpt({
      model: { vocabSize, contextLength: 32, layers: 1, heads: 2, dim: 32 },
      examples: tokenizeExamples(texts, (t) => bpe.encode(t)),
      bosId: eot,
      eosId: eot,
      batchSize: 16,
      maxSteps: 120,
      learningRate: 1e-2,
      evalEvery: 120,
      seed: 2,
      onProgress: (p) => first.push(p.loss),
    });
    expect(first[0]).toBeGreaterThan(Math.log(vocabSize) - 0.3);
    expect(report.valLoss!).toBeLessThan(Math.log(vocabSize) - 1.2);
    console.log(`[train.spec] BPE vocab ${vocabSize}: val loss ${report.valLoss!.toFixed(3)} (uniform ${Math.log(vocabSize).toFixed(3)})`);
  });
});
