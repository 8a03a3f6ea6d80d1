/**
 * Side-effect import that must come first in a service's main.ts: OpenTelemetry has to patch `http`
 * before Nest and express load it. The service name comes from OTEL_SERVICE_NAME or the service folder
 * (services/<name>/src/main.ts).
 */
import path from 'node:path';
import { startTelemetry } from './sdk';

const entry = require.main?.filename ?? '';
const folder = path.basename(path.dirname(path.dirname(entry)));
startTelemetry({
  serviceName: process.env.OTEL_SERVICE_NAME ?? `assay-${folder || 'service'}`,
  otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
});
