import { ObjectStore, LocalArtifactCache, ModelRegistry } from '@assay/artifacts';
import { AssayError } from '@assay/contracts';
import { AssayJobsClient, connectNats, RpcClient } from '@assay/messaging';
import { AssayConfig, loadConfig } from '@assay/platform';
import type { NatsConnection } from 'nats';
import path from 'node:path';

/**
 * What CLI commands talk to: the platform over NATS (RPC and jobs) and the object store, configured from the
 * same environment as the services. `close()` must be called so the process can exit.
 */
export interface CliClients {
  config: AssayConfig;
  nc: NatsConnection;
  rpc: RpcClient;
  jobs: AssayJobsClient;
  close(): Promise<void>;
}

export async function connectPlatform(): Promise<CliClients> {
  const config = loadConfig();
  const nc = await connectNats({ servers: config.nats.servers, name: 'assay-cli', user: config.nats.user, pass: config.nats.pass, token: config.nats.token, waitOnFirstConnect: false }).catch((error: Error) => {
    // UNAVAILABLE: the command exits 3 (platform unreachable).
    throw AssayError.unavailable(`cannot reach NATS at ${config.nats.servers.join(',')} (${error.message}); is the platform running? (npm start)`, { nats: config.nats.servers });
  });
  const rpc = new RpcClient(nc, { defaultTimeoutMs: config.nats.rpcTimeoutMs, livenessMs: config.nats.rpcLivenessMs, namespace: config.nats.namespace });
  const jobs = await AssayJobsClient.connect(nc, config.jobs);
  return { config, nc, rpc, jobs, close: () => nc.drain().catch(() => undefined) };
}

export function objectStoreFromEnv(config: AssayConfig = loadConfig()): { store: ObjectStore; registry: ModelRegistry } {
  if (!config.objectStore.accessKey) {
    throw AssayError.unavailable('S3_ACCESS_KEY / S3_SECRET_KEY are not set (assay up keeps the local ones in <data dir>/secrets.json; export them, or run the command through `npx assay` from the repo)', { objectStore: config.objectStore.endpoint });
  }
  const store = new ObjectStore(config.objectStore);
  const registry = new ModelRegistry(store, new LocalArtifactCache(path.resolve(config.cache.dir, '..', 'cli-cache'), config.cache.maxBytes));
  return { store, registry };
}
