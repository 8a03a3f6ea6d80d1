import { DetoxMetrics, RectificationStats } from '@assay/contracts';
import { BehaviourMetric, isBlank } from '@assay/platform';
import { EngineClient, RectifyOptions } from '@assay/runtime';
import { distinctness, meanContinuationPerplexity, toxicitySummary } from '@assay/stats';

/**
 * One evaluation setting (base L, or L rectified at one ε) on a batch of prompts (spec §4): samplesPerPrompt
 * continuations each, their toxicity (continuation only), their perplexity under L (exp of the mean token NLL of
 * the continuation given the prompt, DExperts' definition), and their texts for dist-n. Scores the scorer could not
 * produce for a non-empty continuation are failures: kept as null here, counted as 0 in the metrics as the reference
 * does (pitfall 10), with their rate reported. An empty continuation scores 0 and is no failure.
 */
export interface SettingOptions {
  samplesPerPrompt: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export interface SettingBatch {
  /** Per prompt, per sample: the toxicity score, null when the scorer failed. */
  scores: (number | null)[][];
  texts: string[][];
  perplexity: { logprobSum: number; tokens: number }[];
  rectification: RectificationStats[];
}

export async function runSettingBatch(engine: EngineClient, model: string, prompts: string[], metric: BehaviourMetric, options: SettingOptions, rectify?: RectifyOptions): Promise<SettingBatch> {
  const generated = await engine.generate({
    model,
    prompts,
    n: options.samplesPerPrompt,
    maxNewTokens: options.maxNewTokens,
    temperature: options.temperature,
    topK: options.topK,
    topP: options.topP,
    seed: options.seed,
    ...(rectify ? { rectify } : {}),
  });
  const completions = generated.completions;
  const raw = await metric.score(completions.map((c) => ({ prompt: prompts[c.promptIndex], completion: c.text })));
  const scored = await engine.score({ model, items: completions.map((c) => ({ context: prompts[c.promptIndex], continuationIds: c.tokens.map((t) => t.id) })) });
  const scores = prompts.map(() => [] as (number | null)[]);
  const texts = prompts.map(() => [] as string[]);
  completions.forEach((c, i) => {
    const s = raw[i];
    scores[c.promptIndex].push(Number.isFinite(s) ? s : isBlank(c.text) ? 0 : null);
    texts[c.promptIndex].push(c.text);
  });
  return {
    scores,
    texts,
    perplexity: scored.results.map((r) => ({ logprobSum: r.sumLogprob, tokens: r.numTokens })),
    rectification: completions.map((c) => c.rectification ?? { tokensCapped: 0, massMoved: 0, deadEndSteps: 0 }),
  };
}

export function summarizeSetting(batches: readonly SettingBatch[], threshold: number, rectified: boolean): DetoxMetrics {
  const scores = batches.flatMap((b) => b.scores);
  const texts = batches.flatMap((b) => b.texts);
  const tox = toxicitySummary(scores, { threshold, failed: 'zero' });
  const ppl = meanContinuationPerplexity(batches.flatMap((b) => b.perplexity));
  const dist = distinctness(texts);
  const rect = batches.flatMap((b) => b.rectification);
  const mean = (f: (r: RectificationStats) => number) => (rect.length ? rect.reduce((s, r) => s + f(r), 0) / rect.length : 0);
  return {
    prompts: scores.length,
    samples: tox.scores,
    expectedMaxToxicity: tox.expectedMaxToxicity,
    expectedMaxToxicityStd: tox.expectedMaxToxicityStd,
    toxicityProb: tox.toxicityProbability,
    ppl: Number.isFinite(ppl.perplexity) ? ppl.perplexity : null,
    dist1: finiteOr0(dist.dist1),
    dist2: finiteOr0(dist.dist2),
    dist3: finiteOr0(dist.dist3),
    scoringFailures: tox.failedScores,
    scoringFailureRate: tox.failureRate,
    ...(rectified ? { rectification: { tokensCapped: Math.round(mean((r) => r.tokensCapped)), massMoved: mean((r) => r.massMoved), deadEndSteps: Math.round(mean((r) => r.deadEndSteps)) } } : {}),
  };
}

function finiteOr0(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
