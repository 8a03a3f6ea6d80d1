/**
 * Dependency-free SVG charts for reports (ROC curves, histograms, wealth trajectories). Reports are
 * viewed in a browser from the object store, so a static SVG beats shipping a plotting runtime.
 */
export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** 'line' (default) or 'step'. */
  shape?: 'line' | 'step';
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Horizontal reference lines, e.g. log(1/α). */
  hLines?: Array<{ y: number; label: string }>;
  vLines?: Array<{ x: number; label: string }>;
  xDomain?: [number, number];
  yDomain?: [number, number];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const MARGIN = { left: 64, right: 20, top: 36, bottom: 48 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  return [lo, hi];
}

function ticks([lo, hi]: [number, number], count = 5): number[] {
  const step = (hi - lo) / count;
  return Array.from({ length: count + 1 }, (_, i) => lo + i * step);
}

function fmt(value: number): string {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e4 || abs < 1e-2)) return value.toExponential(1);
  return Number(value.toFixed(2)).toString();
}

export function lineChart(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).concat((options.vLines ?? []).map((l) => l.x));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat((options.hLines ?? []).map((l) => l.y));
  const [x0, x1] = options.xDomain ?? extent(xs, [0, 1]);
  const [y0, y1] = options.yDomain ?? extent(ys, [0, 1]);
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`);
  for (const t of ticks([x0, x1])) {
    parts.push(`<line x1="${sx(t)}" y1="${MARGIN.top + plotH}" x2="${sx(t)}" y2="${MARGIN.top + plotH + 4}" stroke="#333"/>`);
    parts.push(`<text x="${sx(t)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks([y0, y1])) {
    parts.push(`<line x1="${MARGIN.left}" y1="${sy(t)}" x2="${MARGIN.left + plotW}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  for (const line of options.hLines ?? []) {
    parts.push(`<line x1="${MARGIN.left}" y1="${sy(line.y)}" x2="${MARGIN.left + plotW}" y2="${sy(line.y)}" stroke="#555" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 4}" y="${sy(line.y) - 4}" text-anchor="end" fill="#555">${escapeXml(line.label)}</text>`);
  }
  for (const line of options.vLines ?? []) {
    parts.push(`<line x1="${sx(line.x)}" y1="${MARGIN.top}" x2="${sx(line.x)}" y2="${MARGIN.top + plotH}" stroke="#555" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${sx(line.x) + 4}" y="${MARGIN.top + 12}" fill="#555">${escapeXml(line.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    let d = '';
    pts.forEach(([x, y], j) => {
      if (j === 0) d += `M${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      else if (s.shape === 'step') d += `H${sx(x).toFixed(1)}V${sy(y).toFixed(1)}`;
      else d += `L${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<rect x="${MARGIN.left + 10}" y="${MARGIN.top + 8 + i * 16}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${MARGIN.left + 26}" y="${MARGIN.top + 13 + i * 16}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Overlaid density histograms on shared bins (e.g. in-domain vs out-of-domain log-ratios). */
export function histogramChart(groups: Array<{ name: string; values: number[] }>, options: ChartOptions & { bins?: number }): string {
  const all = groups.flatMap((g) => g.values).filter(Number.isFinite);
  const [lo, hi] = options.xDomain ?? extent(all, [0, 1]);
  const bins = options.bins ?? 40;
  const width = (hi - lo) / bins;
  const series: Series[] = groups.map((g) => {
    const counts = new Array<number>(bins).fill(0);
    const finite = g.values.filter(Number.isFinite);
    for (const v of finite) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
    const points: Array<[number, number]> = [[lo, 0]];
    counts.forEach((c, i) => {
      const density = finite.length ? c / finite.length / width : 0;
      points.push([lo + i * width, density], [lo + (i + 1) * width, density]);
    });
    points.push([hi, 0]);
    return { name: `${g.name} (n=${finite.length})`, points };
  });
  return lineChart(series, { ...options, xDomain: [lo, hi] });
}

/** Empirical CDFs, e.g. of log10 ε_y for in-domain and out-of-domain answers. */
export function ecdfChart(groups: Array<{ name: string; values: number[] }>, options: ChartOptions): string {
  const series: Series[] = groups.map((g) => {
    const sorted = g.values.filter(Number.isFinite).sort((a, b) => a - b);
    return { name: g.name, shape: 'step', points: sorted.map((v, i) => [v, (i + 1) / sorted.length] as [number, number]) };
  });
  return lineChart(series, { ...options, yDomain: [0, 1] });
}
