import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { LocalArtifactCache, ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayJobsClient, connectNats, RpcClient } from '@assay/messaging';
import { CalibratorClient, CertifierClient, GenerationClient, LikelihoodClient, RectifierClient, RewardHeadClient } from './clients';
import type { AssayConfig } from './config';
import { ReadinessService } from './readiness.service';
import { ASSAY_CONFIG, ASSAY_LOGGER, NATS_CONNECTION } from './tokens';

/** Closes the NATS connection last, after Nest has drained the microservice and job workers. */
@Injectable()
class NatsConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}
  async onApplicationShutdown() {
    await this.nc.drain().catch(() => undefined);
  }
}

export const infrastructureProviders: Provider[] = [
  {
    provide: NATS_CONNECTION,
    inject: [ASSAY_CONFIG, ReadinessService],
    useFactory: async (config: AssayConfig, readiness: ReadinessService) => {
      const nc = await connectNats({
        servers: config.nats.servers,
        name: config.service ?? 'assay',
        user: config.nats.user,
        pass: config.nats.pass,
        token: config.nats.token,
        requestTimeoutMs: config.nats.rpcTimeoutMs,
      });
      readiness.register('nats', async () => (nc.isClosed() ? 'connection closed' : true));
      return nc;
    },
  },
  NatsConnectionCloser,
  {
    provide: RpcClient,
    inject: [NATS_CONNECTION, ASSAY_CONFIG],
    useFactory: (nc: NatsConnection, config: AssayConfig) => new RpcClient(nc, { defaultTimeoutMs: config.nats.rpcTimeoutMs, livenessMs: config.nats.rpcLivenessMs, namespace: config.nats.namespace }),
  },
  {
    provide: AssayJobsClient,
    inject: [NATS_CONNECTION, ASSAY_CONFIG],
    useFactory: (nc: NatsConnection, config: AssayConfig) => AssayJobsClient.connect(nc, config.jobs),
  },
  {
    provide: GenerationClient,
    inject: [RpcClient, ASSAY_CONFIG],
    useFactory: (rpc: RpcClient, config: AssayConfig) => new GenerationClient(rpc, { maxBatch: config.runtime.maxBatch }),
  },
  {
    provide: LikelihoodClient,
    inject: [RpcClient],
    useFactory: (rpc: RpcClient) => new LikelihoodClient(rpc),
  },
  ...[CertifierClient, RectifierClient, RewardHeadClient, CalibratorClient].map((client) => ({ provide: client, inject: [RpcClient], useFactory: (rpc: RpcClient) => new client(rpc) })),
  {
    provide: ObjectStore,
    inject: [ASSAY_CONFIG, ReadinessService, ASSAY_LOGGER],
    useFactory: async (config: AssayConfig, readiness: ReadinessService, logger: Logger) => {
      const store = new ObjectStore({ ...config.objectStore, onUntrusted: (key, reason) => logger.warn({ key, reason }, 'artifact refused: bad or missing signature') });
      if (!store.signer) logger.warn('ASSAY_SIGNING_KEY is unset: artifacts are written unsigned and read unchecked (anyone who can write the bucket can swap a model)');
      readiness.register('object-store', async () => {
        await store.ping();
        return true;
      });
      // The bucket may not exist on a fresh MinIO; a failure here is reported by readiness, not fatal.
      await store.ensureBucket().catch(() => undefined);
      return store;
    },
  },
  {
    provide: LocalArtifactCache,
    inject: [ASSAY_CONFIG],
    useFactory: (config: AssayConfig) => new LocalArtifactCache(config.cache.dir, config.cache.maxBytes),
  },
  {
    provide: ModelRegistry,
    inject: [ObjectStore, LocalArtifactCache, ASSAY_CONFIG],
    useFactory: (store: ObjectStore, cache: LocalArtifactCache, config: AssayConfig) => new ModelRegistry(store, cache, config.registry),
  },
];

export const INFRASTRUCTURE_EXPORTS = [NATS_CONNECTION, RpcClient, AssayJobsClient, GenerationClient, LikelihoodClient, CertifierClient, RectifierClient, RewardHeadClient, CalibratorClient, ObjectStore, LocalArtifactCache, ModelRegistry];
