/**
 * The standard OpenTelemetry environment variables Assay honours, read in one place
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Pure: the SDK
 * setup in sdk.ts turns the result into exporters and propagators.
 */

export type TraceExporterName = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger';

export interface OtelEnvSettings {
  /** Where finished spans go; empty: recorded (trace ids in logs) but not exported. */
  exporters: TraceExporterName[];
  protocol: OtlpProtocol;
  /** Empty means OTEL_PROPAGATORS=none: trace context is neither read nor written. */
  propagators: PropagatorName[];
  /** Values that were ignored, one sentence each, for the boot log. */
  warnings: string[];
}

const EXPORTERS: readonly string[] = ['otlp', 'console', 'none'];
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json', 'grpc'];
const PROPAGATORS: readonly string[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'];

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
}

/**
 * OTEL_TRACES_EXPORTER (otlp, console, none; comma-separated). Its specified default is `otlp`; Assay's
 * default is `otlp` only when an OTLP endpoint is configured and `none` otherwise, so a laptop run does
 * not retry a collector that is not there. OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL
 * (default http/protobuf). OTEL_PROPAGATORS (default tracecontext,baggage). The endpoint variables
 * themselves are read by the OTLP exporters.
 */
export function otelEnvSettings(env: NodeJS.ProcessEnv): OtelEnvSettings {
  const warnings: string[] = [];
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;

  let exporterNames = list(env.OTEL_TRACES_EXPORTER);
  if (exporterNames.length === 0) exporterNames = endpoint ? ['otlp'] : [];
  for (const name of exporterNames) if (!EXPORTERS.includes(name)) warnings.push(`OTEL_TRACES_EXPORTER: "${name}" is not supported (otlp, console, none); ignored`);
  const exporters = exporterNames.includes('none') ? [] : (exporterNames.filter((n) => n === 'otlp' || n === 'console') as TraceExporterName[]);

  const protocolValue = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim().toLowerCase();
  let protocol: OtlpProtocol = 'http/protobuf';
  if (PROTOCOLS.includes(protocolValue)) protocol = protocolValue as OtlpProtocol;
  else warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocolValue}" is not one of ${PROTOCOLS.join(', ')}; using http/protobuf`);

  let propagatorNames = list(env.OTEL_PROPAGATORS);
  if (propagatorNames.length === 0) propagatorNames = ['tracecontext', 'baggage'];
  for (const name of propagatorNames) if (!PROPAGATORS.includes(name)) warnings.push(`OTEL_PROPAGATORS: "${name}" is not supported (${PROPAGATORS.join(', ')}); ignored`);
  const propagators = propagatorNames.includes('none')
    ? []
    : ([...new Set(propagatorNames.filter((n) => PROPAGATORS.includes(n) && n !== 'none'))] as PropagatorName[]);

  return { exporters: [...new Set(exporters)], protocol, propagators, warnings };
}
