import { validAccepts } from '@assay/stats';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ByteLevelBpe } from '../src/tokenizer/bpe-encoder';
import { demoCorpus } from '../src/demo-corpus';
import {
  DEMO_RECIPE,
  ForgedDemoPair,
  forgeDemoPair,
  forgeDomainPair,
  formatPrompt,
  scaleRecipe,
  ScoredResponse,
  scoreResponses,
  trainSharedTokenizer,
} from '../src/recipes';

/**
 * The demo setting of the domain-pair recipe on a reduced budget: a smaller demo corpus and a quarter of the
 * demo training steps, L and G trained concurrently in worker threads, scored with onnxruntime-node.
 */
describe('domain-pair recipe on the demo corpus (reduced budget)', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'assay-recipes-'));
  let forged: ForgedDemoPair;

  beforeAll(async () => {
    forged = await forgeDemoPair({
      outDir,
      seed: 3,
      corpus: { inDomainItems: 300, generalItems: 300, heldOutItems: 60 },
      recipe: scaleRecipe(DEMO_RECIPE, 0.25),
    });
  }, 150_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('separates held-out health answers from general answers far above chance', () => {
    const c = forged.calibration;
    expect(c.n).toEqual({ inDomain: 60, outOfDomain: 60 });
    expect(c.auroc).toBeGreaterThan(0.9);
    expect(c.ratios.inDomain.median).toBeLessThan(c.ratios.outOfDomain.median);
    // Held out (30 items): FRR at the calibration k is ≤ 0.1 in expectation; allow three binomial standard errors.
    expect(c.frr).toBeLessThanOrEqual(0.1 + 3 * Math.sqrt((0.1 * 0.9) / c.split.heldOut.inDomain));
    expect(c.oodRejection).toBeGreaterThan(0.7);
    expect(Number.isFinite(c.domainCertificateLog2)).toBe(true);
  });

  it('calibrates a k that accepts typical health answers and rejects typical general ones', async () => {
    const { k, scores } = forged.calibration;
    const median = (xs: ScoredResponse[]) => [...xs].sort((a, b) => a.ratio - b.ratio)[Math.floor(xs.length / 2)];
    const accepts = (s: ScoredResponse) => validAccepts(s.log2L, s.log2G, s.nTokens, k);
    expect(accepts(median(scores.inDomain))).toBe(true);
    expect(accepts(median(scores.outOfDomain))).toBe(false);
    // Answers written here, not drawn from the corpus generator.
    const probes = await scoreResponses({
      largeDir: forged.large.dir,
      guideDir: forged.guide.dir,
      items: [
        { prompt: 'How much ibuprofen can I take for a migraine?', response: 'For adults with migraine, the usual dose of ibuprofen is 200 to 400 mg every 4 to 6 hours. Always follow the label or your doctor\'s instructions.' },
        'The most common symptoms of the flu are fever, chills and muscle aches. Seek care right away if you have difficulty breathing.',
        { prompt: 'How do I make a tomato sauce?', response: 'To make a tomato sauce, start by heating a little olive oil in a heavy skillet. Season with garlic and a pinch of salt.' },
        'With three days in Lisbon, start at the old cathedral. Getting around is easy by the metro.',
      ],
    });
    expect(probes.map(accepts)).toEqual([true, true, false, false]);
  });

  it('writes L and G with one shared tokenizer and a separate BOS token', () => {
    const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
    expect(read(forged.large.dir, 'tokenizer.json')).toBe(read(forged.guide.dir, 'tokenizer.json'));
    const config = JSON.parse(read(forged.guide.dir, 'config.json'));
    expect(config.bos_token_id).toBe(forged.tokenizer.bosId);
    expect(config.eos_token_id).toBe(forged.tokenizer.eosId);
    expect(forged.tokenizer.bosId).not.toBe(forged.tokenizer.eosId);
    expect(config.assay.role).toBe('G');
    expect(forged.guide.report.steps).toBe(scaleRecipe(DEMO_RECIPE, 0.25).guide.train.maxSteps);
    expect(forged.large.report.valLoss).toBeLessThan(Math.log(forged.tokenizer.vocabSize));
  });
});

describe('forgeDomainPair', () => {
  it('stops both trainings and rejects when aborted', async () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'assay-recipes-abort-'));
    try {
      const corpus = demoCorpus({ seed: 2, inDomainItems: 40, generalItems: 40, heldOutItems: 2 });
      const controller = new AbortController();
      const started = Date.now();
      const forging = forgeDomainPair({
        inDomain: corpus.inDomainPairs,
        general: corpus.generalPairs,
        outDir,
        tokenizer: { vocabSize: 400 },
        large: { model: { layers: 1, heads: 2, dim: 16, contextLength: 32 }, train: { maxSteps: 100_000, batchSize: 4 } },
        guide: { model: { layers: 1, heads: 2, dim: 16, contextLength: 32 }, train: { maxSteps: 100_000, batchSize: 4 } },
        onProgress: (p) => {
          if (p.phase === 'large' && p.step >= 20) controller.abort();
        },
        signal: controller.signal,
      });
      await expect(forging).rejects.toThrow(/aborted/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

describe('domain-pair text layout', () => {
  it('keeps a response\'s token ids the same with and without its prompt', () => {
    const corpus = demoCorpus({ seed: 5, inDomainItems: 60, generalItems: 60, heldOutItems: 5 });
    const texts = [...corpus.inDomainPairs, ...corpus.generalPairs].map((p) => formatPrompt(p.prompt) + p.response);
    const tok = trainSharedTokenizer(texts, { vocabSize: 600 });
    const bpe = new ByteLevelBpe(tok.json);
    for (const pair of [...corpus.inDomainPairs, ...corpus.generalPairs]) {
      const joint = bpe.encode(formatPrompt(pair.prompt) + pair.response);
      const prompt = bpe.encode(formatPrompt(pair.prompt));
      expect(joint).toEqual([...prompt, ...bpe.encode(pair.response)]);
    }
  });
});
