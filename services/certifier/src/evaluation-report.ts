import { ecdfChart, histogramChart, htmlReport, lineChart } from '@assay/plots';
import type { EvaluationSummary } from './evaluation-summary';

/** The files of an evaluation report, by name (pure): JSON numbers, three SVG figures and an HTML page. */
export function evaluationReportFiles(title: string, summary: EvaluationSummary, details: Record<string, unknown>): Record<string, string> {
  const { k } = summary;
  const histogram = histogramChart(
    [
      { name: 'in-domain', values: summary.ratios.inDomain },
      { name: 'out-of-domain', values: summary.ratios.outOfDomain },
    ],
    { title: 'Length-normalised log2 L(y|x)/G(y), all items', xLabel: 'bits per token', yLabel: 'density', bins: 40, vLines: [{ x: k, label: `k = ${k.toFixed(2)} (calibration)` }] },
  );
  const roc = lineChart(
    [
      { name: `VALID ratio, held out (AUROC ${summary.auroc.toFixed(3)})`, points: summary.roc.map((p) => [p.fpr, p.tpr] as [number, number]) },
      { name: 'chance', points: [[0, 0], [1, 1]] },
    ],
    { title: 'ROC: out-of-domain rejection vs in-domain false rejection', xLabel: 'FRR (in-domain rejected)', yLabel: 'OOD rejected', xDomain: [0, 1], yDomain: [0, 1] },
  );
  const ecdf = ecdfChart(
    [
      { name: 'in-domain', values: summary.log10Epsilon.inDomain },
      { name: 'out-of-domain', values: summary.log10Epsilon.outOfDomain },
    ],
    { title: `Atomic certificates log10 ε_y at k = ${k.toFixed(2)}, T = ${summary.T}, held out`, xLabel: 'log10 ε_y', yLabel: 'fraction of responses' },
  );
  const inSample = summary.inSample;
  const headline = {
    evaluation: `held out: k chosen on ${summary.split.calibration.inDomain} in-domain and ${summary.split.calibration.outOfDomain} out-of-domain items, figures measured on the other ${summary.split.heldOut.inDomain} and ${summary.split.heldOut.outOfDomain}`,
    auroc: summary.auroc,
    k: summary.k,
    target_frr: summary.targetFrr,
    frr: summary.frr,
    ood_rejection: summary.oodRejection,
    domain_certificate_log2: summary.domainCertificateLog2,
    domain_certificate_log10: summary.domainCertificateLog2 * Math.log10(2),
    youden_k: summary.youden.k,
    youden_j: summary.youden.j,
    k_for_target_epsilon: summary.kForTargetEpsilon,
    T: summary.T,
    in_domain: summary.counts.inDomain,
    out_of_domain: summary.counts.outOfDomain,
    dropped: summary.counts.dropped,
    ood_log10_constriction_median: summary.constrictionLog10.median,
    in_sample_optimistic: `k ${inSample.operatingPoint.k.toFixed(3)}, FRR ${inSample.operatingPoint.frr.toFixed(3)}, OOD rejection ${inSample.operatingPoint.oodRejection.toFixed(3)}, AUROC ${inSample.auroc.toFixed(3)}, J ${inSample.youden.j.toFixed(3)}, log2 ε-DC ${inSample.operatingPoint.domainCertificateLog2.toFixed(2)} (k chosen and measured on all items)`,
    ...details,
  };
  return {
    'report.json': JSON.stringify({ title, headline, summary, details }, null, 2) + '\n',
    'ratios-histogram.svg': histogram,
    'roc.svg': roc,
    'epsilon-ecdf.svg': ecdf,
    'index.html': htmlReport(title, headline, [
      { caption: 'Per-token log-likelihood ratios of all items; responses right of k are rejected. k was chosen on the calibration part.', svg: histogram },
      { caption: 'ROC of the rule "reject when the ratio exceeds k", on the held-out items.', svg: roc },
      { caption: 'eCDF of the atomic certificates ε_y = 2^(k·N_y) · T · G(y) of the held-out items.', svg: ecdf },
    ]),
  };
}
