/**
 * Side-effect import that must come first in a service's main.ts: OpenTelemetry has to patch `http` and
 * `express` before Nest loads them. The service name comes from OTEL_SERVICE_NAME or the service folder
 * (services/<name>/src/main.ts, or services/<name>/dist/main.js once built).
 */
import path from 'node:path';
import { startTelemetry } from './sdk';

const entry = require.main?.filename ?? '';
const folder = path.basename(path.dirname(path.dirname(entry)));
startTelemetry({ serviceName: `assay-${folder || 'service'}` });
