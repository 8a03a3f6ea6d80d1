import { escapeXml } from './svg-chart';

/** A self-contained HTML page: a title, a table of headline numbers, and inline SVG figures. */
export function htmlReport(title: string, metrics: Record<string, unknown>, figures: Array<{ caption: string; svg: string }>): string {
  const rows = Object.entries(metrics)
    .map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(typeof v === 'number' ? String(Number(v.toPrecision(6))) : JSON.stringify(v))}</td></tr>`)
    .join('\n');
  const figs = figures.map((f) => `<figure>${f.svg}<figcaption>${escapeXml(f.caption)}</figcaption></figure>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}figure{display:inline-block;margin:1em}</style>
</head><body><h1>${escapeXml(title)}</h1><table>${rows}</table>${figs}</body></html>`;
}
