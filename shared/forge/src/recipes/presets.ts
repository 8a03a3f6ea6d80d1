import type { ModelRecipe, TokenizerRecipe } from './domain-pair';

/**
 * Tuned sizes for the domain-pair recipe on CPU (onnxruntime, one core per model). Both models are GPT-2-style,
 * 2 layers × 4 heads × 64 wide; the budgets are optimizer steps of batch 16. See the tuning notes in
 * shared/forge/src/recipes/README.md.
 */
export interface DomainPairRecipe {
  tokenizer: TokenizerRecipe;
  large: ModelRecipe;
  guide: ModelRecipe;
  /** Responses are scored (and G is trained) on at most this many tokens. */
  maxResponseTokens: number;
}

const tinyGpt = (contextLength: number) => ({ layers: 2, heads: 4, dim: 64, contextLength });
const schedule = (maxSteps: number, learningRate: number) => ({
  maxSteps,
  batchSize: 16,
  learningRate,
  warmupSteps: 10,
  evalEvery: maxSteps,
  evalWindows: 16,
  restoreBest: false,
});

/**
 * The demo corpus (template-generated health vs general answers), about 1.5–2 minutes on two free cores. A
 * 2048-token vocabulary holds nearly every word of the corpus, so L's samples are made of real words.
 */
export const DEMO_RECIPE: DomainPairRecipe = {
  tokenizer: { vocabSize: 2048 },
  large: { model: tinyGpt(96), train: schedule(300, 6e-3) },
  guide: { model: tinyGpt(72), train: schedule(300, 6e-3) },
  maxResponseTokens: 64,
};

/** MedQuAD answers as the domain, Wikitext-2 + TinyShakespeare as general text. */
export const MEDICAL_RECIPE: DomainPairRecipe = {
  tokenizer: { vocabSize: 2048, maxChars: 600_000 },
  large: { model: tinyGpt(96), train: schedule(300, 3e-3) },
  guide: { model: tinyGpt(80), train: schedule(400, 3e-3) },
  maxResponseTokens: 64,
};

/** The same recipe with every training budget multiplied by `factor` (at least 10 steps), e.g. for fast tests. */
export function scaleRecipe(recipe: DomainPairRecipe, factor: number): DomainPairRecipe {
  const scale = (m: ModelRecipe): ModelRecipe => {
    const maxSteps = Math.max(10, Math.round((m.train.maxSteps ?? 100) * factor));
    return { model: m.model, train: { ...m.train, maxSteps, evalEvery: maxSteps, warmupSteps: Math.min(m.train.warmupSteps ?? 10, Math.floor(maxSteps / 5)) } };
  };
  return { ...recipe, large: scale(recipe.large), guide: scale(recipe.guide) };
}
