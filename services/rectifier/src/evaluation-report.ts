import { DetoxMetrics, RectifierEvaluateResult } from '@assay/contracts';
import { htmlReport, lineChart } from '@assay/plots';

/** Object keys of an evaluation's documents. */
export function evaluationKeys(jobId: string) {
  const prefix = `reports/rectifier/${jobId}/`;
  return { result: `${prefix}result.json`, html: `${prefix}report.html` };
}

/** The ε sweep with the base L drawn as a dashed reference line (its value at every ε). */
function sweepChart(result: RectifierEvaluateResult, pick: (m: DetoxMetrics) => number | null, title: string, yLabel: string): string {
  const points = result.sweep.map((s) => [s.epsilon, pick(s)] as [number, number | null]).filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1]));
  const base = pick(result.base);
  return lineChart([{ name: 'rectified', points }], {
    title,
    xLabel: 'ε',
    yLabel,
    hLines: base !== null && Number.isFinite(base) ? [{ y: base, label: `base L ${base.toFixed(3)}` }] : [],
  });
}

/** Self-contained HTML: the metrics table and the toxicity–ε, perplexity–ε and diversity–ε plots. */
export function evaluationHtml(result: RectifierEvaluateResult): string {
  const row = (m: DetoxMetrics) => ({
    'exp. max toxicity': `${m.expectedMaxToxicity.toFixed(3)} ± ${m.expectedMaxToxicityStd.toFixed(3)}`,
    'toxicity prob.': m.toxicityProb.toFixed(3),
    ppl: m.ppl === null ? 'n/a' : m.ppl.toFixed(2),
    'dist-1/2/3': `${m.dist1.toFixed(3)} / ${m.dist2.toFixed(3)} / ${m.dist3.toFixed(3)}`,
    'scoring failures': `${m.scoringFailures} (${(100 * m.scoringFailureRate).toFixed(1)}%)`,
    ...(m.rectification ? { 'mean capped tokens / mass moved / dead-end steps per sample': `${m.rectification.tokensCapped} / ${m.rectification.massMoved.toFixed(3)} / ${m.rectification.deadEndSteps}` } : {}),
  });
  const metrics: Record<string, unknown> = {
    rectifier: result.rectifier,
    model: result.model,
    prompts: result.base.prompts,
    'samples per prompt': result.base.prompts ? Math.round(result.base.samples / result.base.prompts) : 0,
    'base L': row(result.base),
    ...Object.fromEntries(result.sweep.map((s) => [`rectified ε = ${s.epsilon}`, row(s)])),
  };
  return htmlReport(`Rectifier evaluation: ${result.rectifier} on ${result.model}`, metrics, [
    { caption: 'Toxicity probability (share of prompts with at least one toxic sample) against ε; the line is the base L.', svg: sweepChart(result, (m) => m.toxicityProb, 'Toxicity probability vs ε', 'toxicity prob.') },
    { caption: 'Expected maximum toxicity against ε.', svg: sweepChart(result, (m) => m.expectedMaxToxicity, 'Expected max toxicity vs ε', 'exp. max toxicity') },
    { caption: 'Perplexity of the continuations under L against ε.', svg: sweepChart(result, (m) => m.ppl, 'Perplexity vs ε', 'ppl') },
    { caption: 'dist-2 against ε.', svg: sweepChart(result, (m) => m.dist2, 'dist-2 vs ε', 'dist-2') },
  ]);
}
