import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURE = path.join(__dirname, 'fixtures/traced-app.ts');

interface FixtureSpan {
  name: string;
  kind: number;
  traceId: string;
  attributes: Record<string, unknown>;
}

/** Runs the fixture app in a fresh process (instrumentation patches modules at load, which jest's registry bypasses). */
async function runFixture(env: Record<string, string>): Promise<{ spans: FixtureSpan[]; exporters: string[]; logs: Array<Record<string, unknown>>; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', require.resolve('@swc-node/register'), FIXTURE], {
    cwd: REPO,
    env: { PATH: process.env.PATH, SWC_NODE_PROJECT: path.join(REPO, 'tsconfig.json'), ...env },
    timeout: 60_000,
  });
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines.pop() as { spans: FixtureSpan[]; exporters: string[] };
  return { ...last, logs: lines, stderr };
}

function collector(): Promise<{ url: string; bodies: Array<{ path: string; body: string }>; close(): Promise<void> }> {
  const bodies: Array<{ path: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) });
    }),
  );
}

describe('tracing is on by default', () => {
  it('records spans without any exporter: the server span has http.route and the log line its trace id', async () => {
    const { spans, exporters, logs } = await runFixture({});
    expect(exporters).toEqual([]);
    const server = spans.find((s) => s.kind === 1 && s.attributes['http.route'] !== undefined);
    expect(server).toBeDefined();
    expect(server!.attributes['http.route']).toBe('/items/:id');
    expect(server!.name).toBe('GET /items/:id');
    const line = logs.find((l) => l.msg === 'serving an item');
    expect(line?.trace_id).toBe(server!.traceId);
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('exports over OTLP http/json to OTEL_EXPORTER_OTLP_ENDPOINT when OTEL_TRACES_EXPORTER=otlp', async () => {
    const otlp = await collector();
    try {
      const { exporters } = await runFixture({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_SERVICE_NAME: 'assay-otlp-check',
      });
      expect(exporters).toEqual(['otlp']);
      const traces = otlp.bodies.filter((b) => b.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const body = traces.map((t) => t.body).join('\n');
      expect(body).toContain('assay-otlp-check');
      expect(body).toContain('/items/:id');
    } finally {
      await otlp.close();
    }
  });

  it('exports nothing with OTEL_TRACES_EXPORTER=none even when an endpoint is set', async () => {
    const otlp = await collector();
    try {
      const { exporters, spans } = await runFixture({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
      expect(exporters).toEqual([]);
      expect(spans.length).toBeGreaterThan(0);
      expect(otlp.bodies).toEqual([]);
    } finally {
      await otlp.close();
    }
  });
});
