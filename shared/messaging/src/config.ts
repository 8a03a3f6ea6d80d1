/** How a process reaches NATS. Services build this from their environment (NATS_URL, NATS_USER, ...). */
export interface NatsConfig {
  servers: string | string[];
  /** Connection name shown in server monitoring, e.g. `guide-training`. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Default timeout of RpcClient.request; every request has one. */
  requestTimeoutMs?: number;
  /** Platform namespace: request subjects are `<namespace>.<service>.<verb>` (subjects.ts). Default `assay`. */
  namespace?: string;
  /** Keep retrying the first connect too (default true: pods may start before NATS). */
  waitOnFirstConnect?: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** NATS's default max_payload; the live value comes from the server INFO. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
