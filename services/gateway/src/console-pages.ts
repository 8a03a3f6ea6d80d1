import { Policy } from '@assay/contracts';
import type { JobRecord } from '@assay/messaging';
import type { RecentRequest } from './recent-requests';

/**
 * The console's pages, server-rendered: plain HTML, one small inline stylesheet and script, nothing fetched from
 * elsewhere at run time. Pure functions of the data they show; every value is escaped.
 */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:0;color:#222}nav{background:#243;padding:8px 16px}nav a{color:#fff;margin-right:16px;text-decoration:none}
main{padding:16px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
progress{width:160px}.accepted{color:#070}.abstained{color:#a00}form.box{border:1px solid #ccc;padding:12px;margin:12px 0;max-width:640px}
form.box label{display:block;margin:4px 0}input,select{font:inherit}code{font-size:12px}.err{color:#a00}`;

export function page(title: string, body: string, script = ''): string {
  const nav = ['policies', 'requests', 'jobs', 'reports'].map((p) => `<a href="/console/${p}">${p[0].toUpperCase()}${p.slice(1)}</a>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Assay console</title><style>${STYLE}</style></head>
<body><nav>${nav}<a href="/console/logout">Log out</a></nav><main><h1>${esc(title)}</h1>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

export function loginPage(error?: string): string {
  const script = `document.getElementById('login').addEventListener('submit', async (e) => { e.preventDefault();
  const r = await fetch('/console/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: document.getElementById('key').value }) });
  if (r.ok) location.href = '/console/policies'; else document.getElementById('error').textContent = 'That API key is not valid.'; });`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log in · Assay console</title><style>${STYLE}</style></head><body><main>
<h1>Assay console</h1><form id="login" class="box"><label>API key <input id="key" name="key" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button><p id="error" class="err">${esc(error ?? '')}</p></form></main><script>${script}</script></body></html>`;
}

function stagesOf(p: Policy): string {
  return [p.rectifier ? `rectify (${p.rectifier.name})` : 'sample', `VALID k=${p.k} T=${p.T}`, p.rewardHead ? `rerank (${p.rewardHead})` : '', p.calibrator ? `confidence (${p.calibrator})` : ''].filter(Boolean).join(' → ');
}

export function policiesPage(policies: Policy[]): string {
  const rows = policies.map((p) => `<tr><td><b>${esc(p.name)}</b>@${p.version}</td><td>${esc(p.model)}</td><td>${esc(p.guide)}</td><td>${esc(stagesOf(p))}</td><td>${esc(p.description)}</td></tr>`).join('');
  const field = (name: string, label: string, value = '', type = 'text') => `<label>${label} <input name="${name}" type="${type}" value="${esc(value)}" ${type === 'number' ? 'step="any"' : ''}></label>`;
  const form = `<form id="create-policy" class="box"><h2>Create a policy (or its next version)</h2>
${field('name', 'Name')}${field('model', 'Model L')}${field('guide', 'Guide G')}${field('k', 'k (bits/token)', '', 'number')}${field('T', 'T (draws)', '4', 'number')}
${field('maxLog2Epsilon', 'max log2 ε (optional)', '', 'number')}${field('rectifier', 'Rectifier (optional)')}${field('rewardHead', 'Reward head (optional)')}${field('calibrator', 'Calibrator (optional)')}
${field('description', 'Description')}<button type="submit">Create</button><p id="policy-error" class="err"></p></form>`;
  const script = `document.getElementById('create-policy').addEventListener('submit', async (e) => { e.preventDefault();
  const f = Object.fromEntries(new FormData(e.target)); const spec = { name: f.name, model: f.model, guide: f.guide, k: Number(f.k), T: Number(f.T), description: f.description };
  if (f.maxLog2Epsilon !== '') spec.maxLog2Epsilon = Number(f.maxLog2Epsilon); if (f.rectifier) spec.rectifier = { name: f.rectifier };
  if (f.rewardHead) spec.rewardHead = f.rewardHead; if (f.calibrator) spec.calibrator = f.calibrator;
  const r = await fetch('/console/policies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  if (r.ok) location.reload(); else document.getElementById('policy-error').textContent = (await r.json()).message; });`;
  return page('Policies', `<table id="policies"><tr><th>Policy</th><th>L</th><th>G</th><th>Stages</th><th>Description</th></tr>${rows}</table>${form}`, script);
}

export function traceLink(traceId: string | null, template: string | undefined): string {
  if (!traceId) return '—';
  return template ? `<a href="${esc(template.replace('{traceId}', traceId))}">${esc(traceId)}</a>` : `<code>${esc(traceId)}</code>`;
}

export function requestsPage(requests: RecentRequest[], traceTemplate: string | undefined): string {
  const rows = requests
    .flatMap((r) =>
      r.choices.map((c, i) => {
        const a = c.assay;
        const cert = a.certificate ? `log2 ε = ${a.certificate.log2Epsilon.toFixed(2)}${a.certificate.vacuous ? ' (vacuous)' : ''}, N = ${a.certificate.nTokens}, k = ${a.certificate.k}, T = ${a.certificate.T}` : '—';
        return `<tr><td>${esc(r.at)}</td><td>${esc(r.model)}${a.policy ? `@${a.policy.version}` : ''}</td><td>${i}</td><td class="${esc(a.status)}">${esc(a.status)}</td><td>${esc(a.stages.join(' → '))}</td>
<td>${esc(cert)}</td><td>${a.pCorrect === null ? '—' : a.pCorrect.toFixed(3)}</td><td>${a.reward === null ? '—' : a.reward.toFixed(3)}</td><td>${esc(r.prompt.slice(0, 80))}</td><td>${esc(c.text.slice(0, 120))}</td><td>${r.latencyMs} ms</td><td>${traceLink(a.traceId, traceTemplate)}</td></tr>`;
      }),
    )
    .join('');
  return page(
    'Recent assured requests',
    `<p>The last requests this gateway replica answered (in memory).</p><table id="requests"><tr><th>At</th><th>Model / policy</th><th>Choice</th><th>Status</th><th>Stages</th><th>Certificate</th><th>P(correct)</th><th>Reward</th><th>Prompt</th><th>Answer</th><th>Latency</th><th>Trace</th></tr>${rows}</table>`,
  );
}

export interface JobRow {
  id: string;
  queue: string;
  status: string;
  fraction: number;
  message: string;
  createdAt: string;
  report?: string;
}

export function jobRow(job: JobRecord, report?: string): JobRow {
  return { id: job.id, queue: job.queue, status: job.status, fraction: job.progress?.fraction ?? 0, message: job.progress?.message ?? '', createdAt: job.createdAt, ...(report ? { report } : {}) };
}

export function jobsPage(jobs: JobRow[]): string {
  const rows = jobs
    .map((j) => `<tr data-job="${esc(j.id)}"><td><code>${esc(j.id)}</code></td><td>${esc(j.queue)}</td><td class="status">${esc(j.status)}</td>
<td><progress max="1" value="${j.fraction}"></progress> <span class="pct">${Math.round(j.fraction * 100)}%</span></td><td class="message">${esc(j.message)}</td><td>${esc(j.createdAt)}</td>
<td class="report">${j.report ? `<a href="/console/reports/${esc(j.report)}">report</a>` : ''}</td></tr>`)
    .join('');
  // Live progress: the rows are refreshed from /console/api/jobs twice a second.
  const script = `async function refresh() { try { const jobs = await (await fetch('/console/api/jobs')).json(); const table = document.getElementById('jobs');
  for (const j of jobs) { let row = table.querySelector('tr[data-job="' + j.id + '"]'); if (!row) { location.reload(); return; }
    row.querySelector('progress').value = j.fraction; row.querySelector('.pct').textContent = Math.round(j.fraction * 100) + '%';
    row.querySelector('.status').textContent = j.status; row.querySelector('.message').textContent = j.message;
    if (j.report && !row.querySelector('.report a')) row.querySelector('.report').innerHTML = '<a href="/console/reports/' + encodeURI(j.report) + '">report</a>'; } } catch (e) {} }
  setInterval(refresh, 500);`;
  return page('Jobs', `<table id="jobs"><tr><th>Job</th><th>Queue</th><th>Status</th><th>Progress</th><th>Message</th><th>Created</th><th>Report</th></tr>${rows}</table>`, script);
}

export function reportsPage(reports: Array<{ key: string; at: string }>): string {
  const rows = reports.map((r) => `<tr><td><a href="/console/reports/${esc(r.key)}">${esc(r.key)}</a></td><td>${esc(r.at)}</td></tr>`).join('');
  return page('Reports', `<table id="reports"><tr><th>Report</th><th>Written</th></tr>${rows}</table>`);
}
