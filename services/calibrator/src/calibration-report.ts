/**
 * The calibration report (issue 10 §5), pure: per dataset, a table of methods × metrics laid out like the seed's
 * results (spec §4.1: task acc, then per method ECE / AUROC and the rest), reliability diagrams, confidence
 * histograms and accuracy–coverage curves as SVG, and report.json with every number.
 */
import { CalibrationMetricsWire } from '@assay/contracts';
import { escapeXml, histogramChart, lineChart } from '@assay/plots';
import { accuracyCoverageCurve, calibrationMetrics, reliabilityDiagram } from '@assay/stats';

export interface MethodScores {
  method: string;
  pCorrect: number[];
}

export interface DatasetScores {
  dataset: string;
  labels: number[];
  methods: MethodScores[];
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Every metric of one method on one split, in the wire's names (null where undefined, e.g. AUROC of a one-class split). */
export function wireMetrics(pCorrect: readonly number[], labels: readonly number[]): CalibrationMetricsWire {
  const m = calibrationMetrics(pCorrect, labels);
  return {
    n: m.n, acc: finite(m.accuracy), ece: finite(m.ece), ece_top_label: finite(m.eceTopLabel), auroc: finite(m.auroc), brier: finite(m.brier), nll: finite(m.nll),
    selective_acc_50: finite(m.selectiveAccuracy50), selective_acc_80: finite(m.selectiveAccuracy80), selective_acc_100: finite(m.selectiveAccuracy100),
  };
}

const COLUMNS: Array<[keyof CalibrationMetricsWire, string]> = [
  ['ece', 'ECE (reliability)'],
  ['ece_top_label', 'ECE (top-label, paper)'],
  ['auroc', 'AUROC'],
  ['brier', 'Brier'],
  ['nll', 'NLL'],
  ['selective_acc_50', 'sel. acc @50%'],
  ['selective_acc_80', 'sel. acc @80%'],
  ['selective_acc_100', 'sel. acc @100%'],
];

const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));

function table(dataset: string, results: Record<string, CalibrationMetricsWire>): string {
  const methods = Object.keys(results);
  const acc = methods.length ? results[methods[0]].acc : null;
  const n = methods.length ? results[methods[0]].n : 0;
  const head = `<tr><th>method</th><th>ECE / AUROC</th>${COLUMNS.map(([, label]) => `<th>${escapeXml(label)}</th>`).join('')}</tr>`;
  const rows = methods
    .map((m) => {
      const r = results[m];
      return `<tr><th>${escapeXml(m)}</th><td>${fmt(r.ece)} / ${fmt(r.auroc)}</td>${COLUMNS.map(([key]) => `<td>${fmt(r[key] as number | null)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<h2>${escapeXml(dataset)}: test split, n = ${n}, task acc = ${fmt(acc)}</h2><table>${head}\n${rows}</table>`;
}

function figures(scores: DatasetScores): Array<{ name: string; caption: string; svg: string }> {
  const slug = scores.dataset.replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  const reliability = lineChart(
    [
      ...scores.methods.map((m) => ({
        name: m.method,
        points: reliabilityDiagram(m.pCorrect, scores.labels, 'reliability').bins.filter((b) => b.count > 0).map((b) => [b.meanConfidence!, b.accuracy!] as [number, number]),
      })),
      { name: 'perfect calibration', points: [[0, 0], [1, 1]] as Array<[number, number]> },
    ],
    { title: `Reliability: fraction correct against P(correct), 10 bins (${scores.dataset})`, xLabel: 'mean P(correct) in bin', yLabel: 'fraction correct', xDomain: [0, 1], yDomain: [0, 1] },
  );
  const histogram = histogramChart(
    scores.methods.map((m) => ({ name: m.method, values: m.pCorrect })),
    { title: `Confidence histogram (${scores.dataset})`, xLabel: 'P(correct)', yLabel: 'density', bins: 20, xDomain: [0, 1] },
  );
  const coverage = lineChart(
    scores.methods.map((m) => ({ name: m.method, points: accuracyCoverageCurve(m.pCorrect, scores.labels).map((p) => [p.coverage, p.accuracy] as [number, number]) })),
    { title: `Accuracy–coverage: keep the most confident answers (${scores.dataset})`, xLabel: 'coverage', yLabel: 'accuracy of kept answers', xDomain: [0, 1], yDomain: [0, 1] },
  );
  return [
    { name: `${slug}-reliability.svg`, caption: 'Reliability diagram (the usual reliability form; the top-label ECE of the paper is in the table)', svg: reliability },
    { name: `${slug}-histogram.svg`, caption: 'Distribution of P(correct)', svg: histogram },
    { name: `${slug}-coverage.svg`, caption: 'Selective prediction: accuracy of the answers kept, by coverage', svg: coverage },
  ];
}

/** The report's files by name: index.html, report.json and the SVG figures. */
export function calibrationReportFiles(title: string, scores: readonly DatasetScores[], details: Record<string, unknown>): { files: Record<string, string>; results: Record<string, Record<string, CalibrationMetricsWire>> } {
  const results: Record<string, Record<string, CalibrationMetricsWire>> = {};
  const files: Record<string, string> = {};
  const sections: string[] = [];
  for (const s of scores) {
    results[s.dataset] = Object.fromEntries(s.methods.map((m) => [m.method, wireMetrics(m.pCorrect, s.labels)]));
    const figs = figures(s);
    for (const f of figs) files[f.name] = f.svg;
    sections.push(table(s.dataset, results[s.dataset]) + figs.map((f) => `<figure>${f.svg}<figcaption>${escapeXml(f.caption)}</figcaption></figure>`).join('\n'));
  }
  const detailRows = Object.entries(details).map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`).join('\n');
  files['index.html'] = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}figure{display:inline-block;margin:1em}</style>
</head><body><h1>${escapeXml(title)}</h1><table>${detailRows}</table>
<p>ECE (reliability): 10 equal-width bins of P(correct) against correctness. ECE (top-label, paper): the calibration-tuning code's binary top-label ECE (spec §4), confidence max(p, 1 − p); a confidence of exactly 1.0 falls in no bin in both. NLL in nats. Selective accuracy: accuracy of the most confident answers at that coverage.</p>
${sections.join('\n')}</body></html>`;
  files['report.json'] = JSON.stringify({ title, details, results }, null, 2);
  return { files, results };
}
