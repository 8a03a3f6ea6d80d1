import { context, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OtelEnvSettings, otelEnvSettings, OtlpProtocol, PropagatorName } from './otel-env';

export interface TelemetryOptions {
  serviceName: string;
  /** Where the OTEL_* variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** In addition to the exporters the environment asks for (tests pass an in-memory one). */
  extraSpanProcessors?: SpanProcessor[];
}

export interface RunningTelemetry {
  provider: NodeTracerProvider;
  settings: OtelEnvSettings;
}

let running: RunningTelemetry | undefined;

/**
 * Starts OpenTelemetry. Call it before Nest (and express/http) is loaded, i.e. as the first import of
 * main.ts, so the HTTP and express instrumentations can patch the modules. A tracer provider is always
 * registered, so spans are recorded and every log line written inside one carries its trace id; spans
 * leave the process only through the exporters OTEL_TRACES_EXPORTER (or an OTLP endpoint) asks for.
 */
export function startTelemetry(options: TelemetryOptions): RunningTelemetry {
  if (running) return running;
  const env = options.env ?? process.env;
  const settings = otelEnvSettings(env);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.namespace': 'assay' })
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || options.serviceName })),
    spanProcessors: [...(options.extraSpanProcessors ?? []), ...settings.exporters.map((name) => exportProcessor(name, settings.protocol))],
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: buildPropagator(settings.propagators) });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Health probes and scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? ''),
      }),
      // Names the server span by its route template and sets http.route (`/v1/reports/:jobId/:file`).
      new ExpressInstrumentation(),
    ],
  });
  for (const warning of settings.warnings) {
    process.stderr.write(`${JSON.stringify({ level: 40, time: new Date().toISOString(), service: options.serviceName, msg: `telemetry: ${warning}` })}\n`);
  }
  running = { provider, settings };
  return running;
}

export async function stopTelemetry(): Promise<void> {
  const current = running;
  running = undefined;
  await current?.provider.shutdown().catch(() => undefined);
}

function exportProcessor(name: 'otlp' | 'console', protocol: OtlpProtocol): SpanProcessor {
  if (name === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
  return new BatchSpanProcessor(otlpExporter(protocol));
}

/** The exporters read OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT themselves. Loaded lazily: grpc is heavy. */
function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (protocol === 'grpc') return new (require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)();
  if (protocol === 'http/json') return new (require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)();
  return new (require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)();
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** OTEL_PROPAGATORS as one composite propagator; none → a composite of nothing (no headers read or written). */
export function buildPropagator(names: PropagatorName[]): TextMapPropagator {
  const byName: Record<PropagatorName, () => TextMapPropagator> = {
    tracecontext: () => new W3CTraceContextPropagator(),
    baggage: () => new W3CBaggagePropagator(),
    b3: () => new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
    b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
    jaeger: () => new JaegerPropagator(),
  };
  return new CompositePropagator({ propagators: names.map((name) => byName[name]()) });
}

/**
 * Tests: a global tracer provider that keeps finished spans in memory, with the same context manager and
 * propagators as production, so assertions about trace ids hold for the real code paths.
 */
export function installInMemoryTracing(): { exporter: InMemorySpanExporter; provider: NodeTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'assay-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  trace.disable();
  context.disable();
  propagation.disable();
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: buildPropagator(['tracecontext', 'baggage']) });
  return { exporter, provider };
}
