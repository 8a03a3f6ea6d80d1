import { histogramChart, htmlReport, lineChart } from '@assay/plots';
import type { RewardEvaluationSummary } from './evaluation-summary';

const fixed = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/** The files of a reward-head evaluation report, by name (pure): JSON numbers, SVG figures and an HTML page. */
export function rewardReportFiles(title: string, summary: RewardEvaluationSummary, details: Record<string, unknown>): Record<string, string> {
  const figures: Array<{ caption: string; svg: string }> = [];
  const files: Record<string, string> = {};
  if (summary.distributions.chosen.length > 0) {
    const svg = histogramChart(
      [
        { name: 'chosen', values: summary.distributions.chosen },
        { name: 'rejected', values: summary.distributions.rejected },
      ],
      { title: 'Rewards of held-out chosen and rejected answers', xLabel: 'reward', yLabel: 'density', bins: 30, vLines: [{ x: 0, label: '0' }] },
    );
    files['reward-distributions.svg'] = svg;
    figures.push({ caption: 'Reward distributions of the chosen and the rejected answers of the held-out pairs.', svg });
  }
  if (summary.bestOfN.length > 0) {
    const svg = lineChart([{ name: 'mean classifier score of the chosen sample', points: summary.bestOfN.map((p) => [p.n, p.meanScore] as [number, number]) }], {
      title: 'Best-of-n: classifier score of the highest-reward sample vs n',
      xLabel: 'n (samples)',
      yLabel: 'mean score',
    });
    files['best-of-n.svg'] = svg;
    figures.push({ caption: 'Best-of-n curve: for each n, the sample with the highest reward among the first n is scored by the classifier (n = 1 is a plain sample).', svg });
  }
  const { pairwise, multipleChoice } = summary;
  const headline: Record<string, unknown> = {
    ...(pairwise
      ? {
          pairwise_accuracy: pairwise.estimate,
          pairwise_ci95: `[${fixed(pairwise.low)}, ${fixed(pairwise.high)}] (Wilson, n = ${pairwise.n})`,
          mean_reward_chosen: pairwise.meanChosen,
          mean_reward_rejected: pairwise.meanRejected,
        }
      : {}),
    ...(multipleChoice
      ? {
          mc_questions: multipleChoice.n,
          mc_dph_accuracy: multipleChoice.dphAccuracy,
          mc_dph_ci95: `[${fixed(multipleChoice.dph.low)}, ${fixed(multipleChoice.dph.high)}]`,
          mc_log_accuracy: multipleChoice.logAccuracy,
          mc_log_ci95: `[${fixed(multipleChoice.log.low)}, ${fixed(multipleChoice.log.high)}]`,
        }
      : {}),
    ...Object.fromEntries(summary.bestOfN.map((p) => [`best_of_${p.n}_mean_score`, p.meanScore])),
    ...details,
  };
  return {
    ...files,
    'report.json': JSON.stringify({ title, headline, summary: { ...summary, distributions: undefined } }, null, 2) + '\n',
    'index.html': htmlReport(title, headline, figures),
  };
}
