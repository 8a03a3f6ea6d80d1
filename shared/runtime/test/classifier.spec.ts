import { readFile, writeFile } from 'fs/promises';
import * as fs from 'fs';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  ClassifierTextEncoder,
  classifierReferenceForward,
  ClassifierWeights,
  exportClassifierModelDir,
  parseDavidsonCsv,
  randomClassifierWeights,
  tokenizerVocabSize,
  trainClassifierTokenizer,
  trainToxicityClassifier,
} from '@assay/forge';
import { LocalEngine } from '@assay/runtime';
import { kindOf, newTestEngine, newTestModel, removeTestModels } from './fixtures';

/**
 * Text classification (`assay-text-classifier`) through the whole runtime — worker thread, micro-batcher,
 * onnxruntime — against forge's float64 reference forward pass fed by forge's own encoder (so the
 * runtime's tokenization, lowercasing, truncation and padding are checked too).
 */
const TOLERANCE = 1e-4;
const DAVIDSON = path.resolve(__dirname, '../../../../shared/data/davidson_hate_offensive/labeled_data.csv');
const MAX_LENGTH = 24;

const examples = parseDavidsonCsv(fs.readFileSync(DAVIDSON, 'utf8'));
const probes = [
  ...examples.filter((_, i) => i % 97 === 3).slice(0, 40).map((e) => e.text),
  'You ARE a Wonderful Person',
  'you are a wonderful person',
  '', // pools to the zero vector
  '🙂 ünïcödé — quotes “like” these',
  Array.from({ length: 60 }, (_, i) => `word${i % 7}`).join(' '), // longer than max_length
];

function reference(weights: ClassifierWeights, encoder: ClassifierTextEncoder, texts: string[]): number[] {
  // One row at a time: the reference never sees padding, so equality also shows padding is invisible.
  return texts.map((text) => {
    const { inputIds, attentionMask } = encoder.encodeBatch([text]);
    return classifierReferenceForward(weights, inputIds, attentionMask).probabilities[0];
  });
}

describe('text classification (assay-text-classifier)', () => {
  let engine: LocalEngine;
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'assay-runtime-clf-'));
    dirs.push(dir);
    return dir;
  };
  let weights: ClassifierWeights;
  let encoder: ClassifierTextEncoder;
  let randomDir: string;

  beforeAll(async () => {
    engine = newTestEngine({ batching: { windowMs: 10 } });
    const tokenizer = trainClassifierTokenizer({ texts: examples.filter((_, i) => i % 50 === 0).map((e) => e.text), vocabSize: 320 });
    weights = randomClassifierWeights({ vocabSize: tokenizerVocabSize({ ...tokenizer, normalizer: null }), dim: 24, hidden: 16 }, 17);
    // Random weights give probabilities near 0.5; a larger output layer spreads them so the comparison means something.
    weights.outputWeight = weights.outputWeight.map((w) => w * 40);
    encoder = new ClassifierTextEncoder(tokenizer, MAX_LENGTH);
    randomDir = newDir();
    await exportClassifierModelDir(weights, tokenizer, randomDir, { maxLength: MAX_LENGTH, padTokenId: encoder.padId, threshold: 0.6 });
    await engine.loadModel('random', randomDir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('loads a classifier directory (no decoder keys) and describes it', async () => {
    const info = (await engine.listModels()).find((m) => m.name === 'random')!;
    expect(info).toMatchObject({
      architecture: 'assay-text-classifier',
      task: 'text-classification',
      classifier: { labels: ['non-toxic', 'toxic'], positiveLabel: 'toxic', threshold: 0.6, maxLength: MAX_LENGTH },
      contextLength: MAX_LENGTH,
      hasKvCache: false,
      hasHiddenStates: false,
      padTokenId: encoder.padId,
    });
  });

  it('equals the float64 reference forward pass (forge encoder: lowercase, keep-first truncation) within 1e-4', async () => {
    const result = await engine.classify({ model: 'random', texts: probes });
    const expected = reference(weights, encoder, probes);
    expect(result.probabilities).toHaveLength(probes.length);
    result.probabilities.forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThanOrEqual(TOLERANCE));
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.2); // not a constant model
    // Case does not matter (Lowercase normalizer), and the long text is cut to max_length tokens.
    expect(result.probabilities[probes.indexOf('You ARE a Wonderful Person')]).toBe(result.probabilities[probes.indexOf('you are a wonderful person')]);
    expect(result.usage.inputTokens).toBe(probes.reduce((n, t) => n + encoder.encode(t).length, 0));
    result.labelProbabilities.forEach((row, i) => {
      expect(row[1]).toBe(result.probabilities[i]);
      expect(row[0] + row[1]).toBeCloseTo(1, 12);
    });
  });

  it('batched, one by one and concurrently micro-batched give the same probabilities', async () => {
    const batched = (await engine.classify({ model: 'random', texts: probes })).probabilities;
    const before = (await engine.health()).batching.classify;
    const concurrent = await Promise.all(probes.map((text) => engine.classify({ model: 'random', texts: [text] })));
    const after = (await engine.health()).batching.classify;
    expect(after.requests - before.requests).toBe(probes.length);
    expect(after.batches - before.batches).toBeLessThan(probes.length / 4);
    for (const [i, text] of probes.entries()) {
      const alone = (await engine.classify({ model: 'random', texts: [text] })).probabilities[0];
      expect(Math.abs(batched[i] - alone)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(concurrent[i].probabilities[0] - alone)).toBeLessThanOrEqual(1e-6);
    }
  });

  it("labels follow the model's threshold, or the request's", async () => {
    const result = await engine.classify({ model: 'random', texts: probes });
    expect(result.threshold).toBe(0.6);
    expect(result.positiveLabel).toBe('toxic');
    result.labels.forEach((label, i) => expect(label).toBe(result.probabilities[i] >= 0.6 ? 'toxic' : 'non-toxic'));
    expect(new Set(result.labels).size).toBe(2);
    expect((await engine.classify({ model: 'random', texts: probes, threshold: 0 })).labels.every((l) => l === 'toxic')).toBe(true);
    expect(await kindOf(engine.classify({ model: 'random', texts: probes, threshold: 2 }))).toBe('INVALID_REQUEST');
  });

  it('classifies with a trained toxicity classifier exactly as its own reference does', async () => {
    const trained = await trainToxicityClassifier({
      examples: examples.filter((_, i) => i % 40 === 0),
      vocabSize: 300,
      dim: 16,
      hidden: 16,
      epochs: 2,
      maxLength: MAX_LENGTH,
      seed: 5,
    });
    const dir = newDir();
    await trained.writeModelDir(dir);
    const info = await engine.loadModel('trained', dir);
    expect(info.classifier?.threshold).toBeCloseTo(trained.report.threshold, 12);
    const result = await engine.classify({ model: 'trained', texts: probes });
    const expected = reference(trained.weights, trained.encoder, probes);
    result.probabilities.forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThanOrEqual(TOLERANCE));
  });

  it('keeps decoders and classifiers apart, and rejects broken classifier configs', async () => {
    const decoder = await newTestModel({ seed: 3 });
    await engine.loadModel('decoder', decoder.dir);
    expect(await kindOf(engine.classify({ model: 'decoder', texts: ['a'] }))).toBe('UNSUPPORTED');
    expect(await kindOf(engine.generate({ model: 'random', prompts: ['a'] }))).toBe('UNSUPPORTED');
    expect(await kindOf(engine.score({ model: 'random', items: [{ continuation: 'a' }] }))).toBe('UNSUPPORTED');
    expect(await kindOf(engine.hiddenStates({ model: 'random', texts: ['a'] }))).toBe('UNSUPPORTED');
    expect(await kindOf(engine.classify({ model: 'random', texts: [] }))).toBe('INVALID_REQUEST');
    expect(await kindOf(engine.classify({ model: 'random', texts: [3 as unknown as string] }))).toBe('INVALID_REQUEST');

    const broken = async (edit: (config: Record<string, unknown>) => void) => {
      const dir = newDir();
      for (const file of fs.readdirSync(randomDir)) fs.copyFileSync(path.join(randomDir, file), path.join(dir, file));
      const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
      edit(config);
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      return kindOf(engine.loadModel(`broken-${dirs.length}`, dir));
    };
    expect(await broken((c) => delete c.max_length)).toBe('MODEL_DIR_INVALID');
    expect(await broken((c) => ((c.assay as Record<string, unknown>).positive_label = 'spam'))).toBe('MODEL_DIR_INVALID');
    expect(await broken((c) => ((c.assay as Record<string, unknown>).truncation = 'keep-last'))).toBe('MODEL_DIR_INVALID');
    expect(
      await broken((c) => {
        c.labels = ['non-toxic', 'toxic', 'other'];
        delete c.num_labels;
      }),
    ).toBe('MODEL_SIGNATURE_INVALID');
  });
});
