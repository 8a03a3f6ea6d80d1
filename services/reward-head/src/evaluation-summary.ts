/** The figures of a reward-head evaluation (pure): pairwise accuracy, DPH vs log multiple choice, best-of-n curve. */
import { argmax, pairwiseAccuracy, wilsonInterval } from '@assay/stats';

export interface PairRewards {
  chosen: number;
  rejected: number;
}

export interface ChoiceScores {
  rewards: number[];
  /** Mean log-probability of each choice's tokens (the log baseline). */
  logprobs: number[];
  label: number;
}

export interface BestOfNRow {
  prompt: string;
  /** Rewards of the samples, in generation order. */
  rewards: number[];
  /** Classifier score of the chosen sample, by n. */
  scores: Record<string, number>;
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  n: number;
}

export interface RewardEvaluationSummary {
  pairwise?: Interval & { meanChosen: number; meanRejected: number };
  multipleChoice?: { n: number; dphAccuracy: number; logAccuracy: number; dph: Interval; log: Interval };
  bestOfN: Array<{ n: number; meanScore: number; prompts: number }>;
  distributions: { chosen: number[]; rejected: number[] };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function interval(successes: number, n: number): Interval {
  const w = wilsonInterval(successes, n);
  return { estimate: w.estimate, low: w.low, high: w.high, n };
}

export function summarizeRewardEvaluation(input: { pairs: PairRewards[]; choices: ChoiceScores[]; bestOfN: BestOfNRow[]; ns: number[] }): RewardEvaluationSummary {
  const chosen = input.pairs.map((p) => p.chosen);
  const rejected = input.pairs.map((p) => p.rejected);
  const summary: RewardEvaluationSummary = { bestOfN: [], distributions: { chosen, rejected } };
  if (input.pairs.length > 0) {
    const acc = pairwiseAccuracy(chosen, rejected);
    summary.pairwise = { estimate: acc.estimate, low: acc.low, high: acc.high, n: acc.n, meanChosen: mean(chosen), meanRejected: mean(rejected) };
  }
  if (input.choices.length > 0) {
    const dph = input.choices.filter((c) => argmax(c.rewards) === c.label).length;
    const log = input.choices.filter((c) => argmax(c.logprobs) === c.label).length;
    const n = input.choices.length;
    summary.multipleChoice = { n, dphAccuracy: dph / n, logAccuracy: log / n, dph: interval(dph, n), log: interval(log, n) };
  }
  for (const n of input.ns) {
    const scores = input.bestOfN.map((row) => row.scores[String(n)]).filter((s) => Number.isFinite(s));
    if (scores.length > 0) summary.bestOfN.push({ n, meanScore: mean(scores), prompts: scores.length });
  }
  return summary;
}
