import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { otelEnvSettings } from './otel-env';
import { buildPropagator } from './sdk';

describe('otelEnvSettings', () => {
  it('records but exports nothing by default, and propagates W3C trace context and baggage', () => {
    expect(otelEnvSettings({})).toEqual({ exporters: [], protocol: 'http/protobuf', propagators: ['tracecontext', 'baggage'], warnings: [] });
  });

  it('exports over OTLP when an endpoint is set, or when asked to', () => {
    expect(otelEnvSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters).toEqual(['otlp']);
    expect(otelEnvSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).exporters).toEqual(['otlp']);
    expect(otelEnvSettings({ OTEL_TRACES_EXPORTER: 'otlp,console' }).exporters).toEqual(['otlp', 'console']);
  });

  it('honours none, the protocol variables and the traces-specific override', () => {
    expect(otelEnvSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporters).toEqual([]);
    expect(otelEnvSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).protocol).toBe('grpc');
    expect(otelEnvSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
  });

  it('names what it ignores instead of failing', () => {
    const settings = otelEnvSettings({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon', OTEL_PROPAGATORS: 'xray,tracecontext' });
    expect(settings.exporters).toEqual([]);
    expect(settings.protocol).toBe('http/protobuf');
    expect(settings.propagators).toEqual(['tracecontext']);
    expect(settings.warnings).toHaveLength(3);
    expect(settings.warnings.join(' ')).toMatch(/zipkin.*carrier-pigeon.*xray/);
  });

  it('OTEL_PROPAGATORS=none turns propagation off', () => {
    expect(otelEnvSettings({ OTEL_PROPAGATORS: 'none' }).propagators).toEqual([]);
  });
});

describe('buildPropagator', () => {
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  const inject = (names: Parameters<typeof buildPropagator>[0]) => {
    const carrier: Record<string, string> = {};
    buildPropagator(names).inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, { set: (c, k, v) => (c[k] = v) });
    return carrier;
  };

  it('writes the headers each standard propagator defines', () => {
    expect(inject(['tracecontext'])).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(inject(['b3'])).toEqual({ b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1' });
    expect(inject(['b3multi'])).toMatchObject({ 'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c', 'x-b3-spanid': 'b7ad6b7169203331' });
    expect(inject(['jaeger'])).toEqual({ 'uber-trace-id': '0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:01' });
    expect(inject([])).toEqual({});
  });
});
