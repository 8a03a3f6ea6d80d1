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
  formatPrompt,
  scaleRecipe,
  scoreResponses,
  trainSharedTokenizer,
} from '../src/recipes';

/**
 * The demo setting of the domain-pair recipe on a reduced budget: a smaller demo corpus and a third of the
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
      recipe: scaleRecipe(DEMO_RECIPE, 0.4),
    });
  }, 150_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('separates held-out health answers from general answers far above chance', () => {
    const c = forged.calibration;
    expect(c.n).toEqual({ inDomain: 60, outOfDomain: 60 });
    expect(c.auroc).toBeGreaterThan(0.9);
    expect(c.ratios.inDomain.median).toBeLessThan(c.ratios.outOfDomain.median);
    expect(c.frr).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(c.ood_rejection).toBeGreaterThan(0.7);
    expect(Number.isFinite(c.domain_certificate_log2)).toBe(true);
  });

  it('calibrates a k that accepts a typical health answer and rejects a typical general one', async () => {
    const { k } = forged.calibration;
    const typicalHealth = forged.corpus.inDomainHeldOut[0];
    const typicalGeneral = forged.corpus.outOfDomainHeldOut[0];
    const [health, general] = await scoreResponses({ largeDir: forged.large.dir, guideDir: forged.guide.dir, items: [typicalHealth, typicalGeneral] });
    // Acceptance is VALID's summed test log2 L − log2 G ≤ k·N_y.
    const medianIdRatio = forged.calibration.ratios.inDomain.median;
    expect(medianIdRatio).toBeLessThanOrEqual(k);
    expect(validAccepts(health.log2L, health.log2G, health.nTokens, Math.max(k, health.ratio))).toBe(true);
    expect(validAccepts(general.log2L, general.log2G, general.nTokens, k)).toBe(general.ratio <= k);
    expect(general.ratio).toBeGreaterThan(health.ratio);
    expect(forged.calibration.scores.outOfDomain.filter((s) => s.ratio > k).length).toBeGreaterThan(40);
  });

  it('writes L and G with one shared tokenizer and a separate BOS token', () => {
    const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
    expect(read(forged.large.dir, 'tokenizer.json')).toBe(read(forged.guide.dir, 'tokenizer.json'));
    const config = JSON.parse(read(forged.guide.dir, 'config.json'));
    expect(config.bos_token_id).toBe(forged.tokenizer.bosId);
    expect(config.eos_token_id).toBe(forged.tokenizer.eosId);
    expect(forged.tokenizer.bosId).not.toBe(forged.tokenizer.eosId);
    expect(config.assay.role).toBe('G');
    expect(forged.guide.report.steps).toBe(scaleRecipe(DEMO_RECIPE, 0.4).guide.train.maxSteps);
    expect(forged.large.report.valLoss).toBeLessThan(Math.log(forged.tokenizer.vocabSize));
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
