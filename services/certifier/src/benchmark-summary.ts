import { certifiedAccuracy, kForTargetEpsilon } from '@assay/stats';
import type { MultipleChoiceItem } from './evaluation-items';
import { ratioOf, ScoredItem } from './evaluation-summary';

/**
 * Certified benchmarking (spec §4), pure. Path A: L's prediction is the option marker (" A", " B", ...) it scores
 * highest after the question prompt ending in "Answer:". Path B: the gold answer text y, scored by VALID, is
 * accepted at k when its normalised ratio is ≤ k. Certified accuracy at k = mean(correct ∧ accepted); k for a
 * target ε is calibrated on out-of-domain data (the ε-DC bisection).
 */
export function fillTemplate(template: string, item: MultipleChoiceItem): string {
  const options = item.options.map(([letter, text]) => `${letter}. ${text}`).join('\n');
  return template.replace(/\{question\}/g, item.question.trim()).replace(/\{options\}/g, options);
}

export function markerOf(letter: string): string {
  return ` ${letter}`;
}

/** The letter with the highest score (first on ties). */
export function predictedLetter(letters: readonly string[], logprobs: readonly number[]): string {
  let best = 0;
  for (let i = 1; i < letters.length; i++) if (logprobs[i] > logprobs[best]) best = i;
  return letters[best];
}

export interface BenchmarkPoint {
  log2Epsilon: number | null;
  k: number | null;
  certifiedAccuracy: number;
  frr: number;
}

export interface BenchmarkSummary {
  accuracy: number;
  chance: number;
  n: number;
  points: BenchmarkPoint[];
}

export function summarizeBenchmark(
  correct: readonly boolean[],
  gold: readonly ScoredItem[],
  options: { epsilonsLog2: readonly number[]; ks: readonly number[]; ood: readonly ScoredItem[]; T: number; optionCounts: readonly number[] },
): BenchmarkSummary {
  // An item whose gold answer has no token cannot be certified: it counts as rejected (r = +∞).
  const items = correct.map((c, i) => ({ correct: c, normalizedLog2Ratio: gold[i].nTokens > 0 ? ratioOf(gold[i]) : Infinity }));
  const point = (log2Epsilon: number | null, k: number | null): BenchmarkPoint => {
    if (k === null) return { log2Epsilon, k, certifiedAccuracy: 0, frr: 1 };
    const { accuracy, frr } = certifiedAccuracy(items, k);
    return { log2Epsilon, k, certifiedAccuracy: accuracy, frr };
  };
  const oodUsable = options.ood.filter((o) => o.nTokens > 0);
  const points = [
    ...options.epsilonsLog2.map((e) => point(e, oodUsable.length ? kForTargetEpsilon(oodUsable, e, options.T) : null)),
    ...options.ks.map((k) => point(null, k)),
  ];
  const n = correct.length;
  return {
    accuracy: n ? correct.filter(Boolean).length / n : 0,
    chance: n ? options.optionCounts.reduce((s, c) => s + 1 / c, 0) / n : 0,
    n,
    points,
  };
}
