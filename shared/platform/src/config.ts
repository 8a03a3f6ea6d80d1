import { z } from 'zod/v4';
// The light entry points: `assay status` loads this file without the registry's schemas or onnxruntime.
import { PORT_OFFSETS, ServiceName } from '@assay/contracts/services';
import { runtimeConfigFromEnv } from '@assay/runtime/config';
import { RUNTIME_ENV } from '@assay/runtime/env';

/**
 * Every environment variable Assay reads, with its default, in one place (documented in README and
 * .env.example). Parsed once at boot into one typed object; a bad value stops boot with one clear message.
 */
export const ENV = {
  NATS_URL: 'nats://127.0.0.1:4222',
  NATS_USER: '',
  NATS_PASSWORD: '',
  NATS_TOKEN: '',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_ACCESS_KEY: '',
  S3_SECRET_KEY: '',
  S3_BUCKET: 'assay',
  S3_REGION: 'us-east-1',
  ASSAY_SIGNING_KEY: '',
  ASSAY_PRESIGN_TTL_S: '3600',
  ASSAY_DATA_DIR: '.assay',
  ASSAY_CACHE_MAX_BYTES: String(8 * 1024 ** 3),
  ASSAY_MODEL_LATEST_TTL_MS: '2000',
  ASSAY_API_KEYS: '',
  ASSAY_HOST: '127.0.0.1',
  ASSAY_PORT_BASE: '8100',
  ASSAY_RPC_TIMEOUT_MS: '30000',
  ASSAY_RPC_LIVENESS_MS: '3000',
  ASSAY_MAX_MESSAGE_BYTES: String(900 * 1024),
  ASSAY_MAX_HTTP_BODY: '1mb',
  // Runtime (onnxruntime) settings; names owned by @assay/runtime, empty means the runtime's default.
  ASSAY_RUNTIME_EXECUTOR: '',
  ASSAY_RUNTIME_WORKERS: '',
  ASSAY_RUNTIME_EXECUTION_PROVIDERS: '',
  ASSAY_RUNTIME_INTRA_OP_THREADS: '',
  ASSAY_RUNTIME_INTER_OP_THREADS: '',
  ASSAY_RUNTIME_GRAPH_OPTIMIZATION: '',
  ASSAY_RUNTIME_BATCH_WINDOW_MS: '',
  ASSAY_RUNTIME_MAX_BATCH_SIZE: '',
  ASSAY_RUNTIME_MAX_BATCH_TOKENS: '',
  ASSAY_RUNTIME_MODEL_VARIANT: '',
  ASSAY_MAX_BATCH: '64',
  ASSAY_MAX_NEW_TOKENS: '512',
  ASSAY_CERTIFIER_MAX_T: '16',
  ASSAY_TRACE_URL_TEMPLATE: '',
  ASSAY_PRELOAD_MODELS: '',
  ASSAY_JOB_ACK_WAIT_MS: '30000',
  ASSAY_JOB_MAX_DELIVER: '5',
  ASSAY_NAMESPACE: 'assay',
  /** Older name of ASSAY_NAMESPACE (it once prefixed job streams only); read when ASSAY_NAMESPACE is unset. */
  ASSAY_JOBS_NAMESPACE: '',
  ASSAY_JOBS_REPLICAS: '1',
  ASSAY_ROLE: 'all',
  PERSPECTIVE_API_URL: '',
  PERSPECTIVE_API_KEY: '',
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  LOG_LEVEL: 'info',
} as const;
export type EnvName = keyof typeof ENV;

// The runtime's variables are documented here too; fail loudly if the two lists drift apart.
for (const name of Object.values(RUNTIME_ENV)) {
  if (!(name in ENV)) throw new Error(`platform ENV is missing the runtime variable ${name}`);
}

/** Port of each service when ASSAY_<SERVICE>_PORT is unset: ASSAY_PORT_BASE + its offset in the contract registry. */
export { PORT_OFFSETS };

const int = (min: number) => z.coerce.number().int().min(min);
const csv = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const EnvSchema = z.object({
  NATS_URL: z.string().min(1),
  NATS_USER: z.string(),
  NATS_PASSWORD: z.string(),
  NATS_TOKEN: z.string(),
  S3_ENDPOINT: z.url(),
  S3_ACCESS_KEY: z.string(),
  S3_SECRET_KEY: z.string(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
  S3_REGION: z.string(),
  ASSAY_SIGNING_KEY: csv.refine((keys) => keys.every((k) => k.length >= 16), { message: 'each key must have at least 16 characters' }),
  ASSAY_PRESIGN_TTL_S: int(1).max(604800),
  ASSAY_DATA_DIR: z.string(),
  ASSAY_CACHE_MAX_BYTES: int(1),
  ASSAY_MODEL_LATEST_TTL_MS: int(0),
  ASSAY_API_KEYS: csv,
  ASSAY_HOST: z.string(),
  ASSAY_PORT_BASE: int(1),
  ASSAY_RPC_TIMEOUT_MS: int(1),
  ASSAY_RPC_LIVENESS_MS: int(0),
  ASSAY_MAX_MESSAGE_BYTES: int(1024),
  ASSAY_MAX_HTTP_BODY: z.string(),
  ASSAY_MAX_BATCH: int(1),
  ASSAY_MAX_NEW_TOKENS: int(1),
  ASSAY_CERTIFIER_MAX_T: int(1),
  ASSAY_TRACE_URL_TEMPLATE: z.string().refine((t) => t === '' || t.includes('{traceId}'), 'must contain {traceId}'),
  ASSAY_PRELOAD_MODELS: csv,
  ASSAY_JOB_ACK_WAIT_MS: int(1000),
  ASSAY_JOB_MAX_DELIVER: int(1),
  ASSAY_NAMESPACE: z.string().regex(/^[a-z][a-z0-9_]*$/),
  ASSAY_JOBS_NAMESPACE: z.string(),
  ASSAY_JOBS_REPLICAS: int(1).max(5),
  ASSAY_ROLE: z.enum(['api', 'worker', 'all']),
  PERSPECTIVE_API_URL: z.string(),
  PERSPECTIVE_API_KEY: z.string(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export function loadEnv(source: NodeJS.ProcessEnv = process.env) {
  const raw: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(ENV)) raw[name] = source[name] ?? fallback;
  if (source.ASSAY_NAMESPACE === undefined && source.ASSAY_JOBS_NAMESPACE) raw.ASSAY_NAMESPACE = source.ASSAY_JOBS_NAMESPACE;
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(raw[String(i.path[0])])}: ${i.message}`);
    throw new Error(`invalid Assay configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
type Env = ReturnType<typeof loadEnv>;

/** The nested, typed configuration every service receives. */
export function buildConfig(env: Env, service?: ServiceName, source: NodeJS.ProcessEnv = process.env) {
  const portVar = service ? source[`ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`] : undefined;
  const port = portVar ? Number(portVar) : service ? env.ASSAY_PORT_BASE + PORT_OFFSETS[service] : 0;
  return {
    service,
    /**
     * What this process runs: `api` answers HTTP and NATS request/reply but consumes no job, `worker` consumes the
     * service's job queues (HTTP serves health, readiness and metrics only), `all` both (`npm start`, `assay up`).
     */
    role: env.ASSAY_ROLE,
    /** Prefix of every request subject (`<ns>.<service>.<verb>`), job stream, bucket and job subject: platforms with different namespaces share a NATS server without meeting. */
    namespace: env.ASSAY_NAMESPACE,
    http: { host: env.ASSAY_HOST, port, maxBody: env.ASSAY_MAX_HTTP_BODY, apiKeys: env.ASSAY_API_KEYS },
    nats: {
      servers: env.NATS_URL.split(','),
      user: env.NATS_USER || undefined,
      pass: env.NATS_PASSWORD || undefined,
      token: env.NATS_TOKEN || undefined,
      rpcTimeoutMs: env.ASSAY_RPC_TIMEOUT_MS,
      /** Silence after which a request to an Assay service fails as UNAVAILABLE (its responder died); 0: off. */
      rpcLivenessMs: env.ASSAY_RPC_LIVENESS_MS,
      maxMessageBytes: env.ASSAY_MAX_MESSAGE_BYTES,
      namespace: env.ASSAY_NAMESPACE,
    },
    objectStore: {
      endpoint: env.S3_ENDPOINT,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      /** The first signs every artifact written; all verify what is read. Empty: unsigned and unchecked. */
      signingKeys: env.ASSAY_SIGNING_KEY,
      presignTtlSec: env.ASSAY_PRESIGN_TTL_S,
    },
    cache: { dir: `${env.ASSAY_DATA_DIR}/cache`, maxBytes: env.ASSAY_CACHE_MAX_BYTES },
    /** How long `name` (its newest version) is reused before the object store is listed again; see RegistryOptions. */
    registry: { latestTtlMs: env.ASSAY_MODEL_LATEST_TTL_MS },
    runtime: {
      engine: runtimeConfigFromEnv(source),
      maxBatch: env.ASSAY_MAX_BATCH,
      maxNewTokens: env.ASSAY_MAX_NEW_TOKENS,
      preload: env.ASSAY_PRELOAD_MODELS,
    },
    certifier: { maxT: env.ASSAY_CERTIFIER_MAX_T },
    /** The console links a trace id to the user's tracing UI with this template (`{traceId}` is replaced). */
    gateway: { traceUrlTemplate: env.ASSAY_TRACE_URL_TEMPLATE || undefined },
    jobs: { ackWaitMs: env.ASSAY_JOB_ACK_WAIT_MS, maxDeliver: env.ASSAY_JOB_MAX_DELIVER, namespace: env.ASSAY_NAMESPACE, replicas: env.ASSAY_JOBS_REPLICAS },
    perspective: { url: env.PERSPECTIVE_API_URL || undefined, key: env.PERSPECTIVE_API_KEY || undefined },
    telemetry: { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined, logLevel: env.LOG_LEVEL },
  };
}
export type AssayConfig = ReturnType<typeof buildConfig>;

export function loadConfig(service?: ServiceName, source: NodeJS.ProcessEnv = process.env): AssayConfig {
  return buildConfig(loadEnv(source), service, source);
}
