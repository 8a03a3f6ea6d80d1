import { demoCorpus, DemoCorpus, DemoCorpusOptions } from '../demo-corpus/demo-corpus';
import { ForgedDomainPair, ForgeProgress, forgeDomainPair } from './domain-pair';
import { DomainSeparation, evaluateDomainSeparation } from './domain-separation';
import { DEMO_RECIPE, DomainPairRecipe } from './presets';

export interface ForgeDemoPairOptions {
  outDir: string;
  seed?: number;
  /** Overrides of the demo corpus sizes (the seed is `seed`). */
  corpus?: Omit<DemoCorpusOptions, 'seed'>;
  recipe?: DomainPairRecipe;
  /** In-domain false-rejection rate at which k is calibrated (default 0.1). */
  targetFrr?: number;
  parallel?: boolean;
  onProgress?: (event: ForgeProgress) => void;
  signal?: AbortSignal;
}

export interface ForgedDemoPair extends ForgedDomainPair {
  corpus: DemoCorpus;
  /**
   * Separation on the corpus' held-out (written) answers, L conditioned on their questions. Its `k` suits
   * certifying such answers. L's own samples are far more likely under L than written answers are (median ratio
   * about +2.8 instead of −0.9 bits per token with DEMO_RECIPE), so to certify L's generations calibrate k on
   * L's own answers to held-out questions instead.
   */
  calibration: DomainSeparation;
}

/**
 * What `assay demo` runs: the demo corpus, the domain-pair recipe with DEMO_RECIPE, and a k calibrated on
 * held-out in-domain answers. L is trained on health and general question/answer pairs; G on health answers.
 */
export async function forgeDemoPair(options: ForgeDemoPairOptions): Promise<ForgedDemoPair> {
  const seed = options.seed ?? 0;
  const recipe = options.recipe ?? DEMO_RECIPE;
  const corpus = demoCorpus({ ...options.corpus, seed });
  const pair = await forgeDomainPair({
    inDomain: corpus.inDomainPairs,
    general: corpus.generalPairs,
    outDir: options.outDir,
    tokenizer: recipe.tokenizer,
    large: recipe.large,
    guide: recipe.guide,
    maxResponseTokens: recipe.maxResponseTokens,
    seed,
    parallel: options.parallel,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const calibration = await evaluateDomainSeparation({
    largeDir: pair.large.dir,
    guideDir: pair.guide.dir,
    inDomain: corpus.heldOutPairs.inDomain,
    outOfDomain: corpus.heldOutPairs.outOfDomain,
    maxResponseTokens: recipe.maxResponseTokens,
    targetFrr: options.targetFrr ?? 0.1,
  });
  return { ...pair, corpus, calibration };
}
