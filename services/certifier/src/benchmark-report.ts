import { htmlReport, lineChart } from '@assay/plots';
import type { BenchmarkSummary } from './benchmark-summary';

const LOG10_2 = Math.log10(2);

/** report.json, accuracy.svg (certified accuracy against log10 ε) and index.html of a certified benchmark (pure). */
export function benchmarkReportFiles(title: string, summary: BenchmarkSummary, details: Record<string, unknown>, predictions: readonly string[]): Record<string, string> {
  const byEpsilon = summary.points.filter((p) => p.log2Epsilon !== null).sort((a, b) => a.log2Epsilon! - b.log2Epsilon!);
  const figures: Array<{ caption: string; svg: string }> = [];
  if (byEpsilon.length > 0) {
    const xs = byEpsilon.map((p) => p.log2Epsilon! * LOG10_2);
    const svg = lineChart(
      [
        { name: 'certified accuracy', points: byEpsilon.map((p, i) => [xs[i], p.certifiedAccuracy] as [number, number]) },
        { name: 'false rejection', points: byEpsilon.map((p, i) => [xs[i], p.frr] as [number, number]) },
      ],
      {
        title: 'Certified accuracy against the domain certificate ε',
        xLabel: 'log10 ε',
        yLabel: 'fraction of questions',
        yDomain: [0, 1],
        hLines: [
          { y: summary.accuracy, label: 'unconstrained accuracy' },
          { y: summary.chance, label: 'chance' },
        ],
      },
    );
    figures.push({ caption: 'Accuracy@ε = mean(correct ∧ gold answer accepted at the k certifying ε on the OOD set).', svg });
  }
  const headline = { accuracy: summary.accuracy, chance: summary.chance, n: summary.n, ...details };
  const table = Object.fromEntries(summary.points.map((p) => [p.log2Epsilon === null ? `k=${p.k}` : `log2 ε=${p.log2Epsilon}`, `k=${p.k === null ? 'none' : p.k.toFixed(3)} accuracy=${p.certifiedAccuracy.toFixed(3)} frr=${p.frr.toFixed(3)}`]));
  return {
    'report.json': JSON.stringify({ title, headline, summary, predictions }, null, 2) + '\n',
    ...(figures.length ? { 'accuracy.svg': figures[0].svg } : {}),
    'index.html': htmlReport(title, { ...headline, ...table }, figures),
  };
}
