import { INestApplication, Type } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmbeddedS3, LocalArtifactCache, ModelRegistry, ObjectStore, startEmbeddedS3 } from '@assay/artifacts';
import { SERVICES, ServiceName } from '@assay/contracts';
import { connectNats, findNatsServer, LocalNats, requestSubject, RpcClient, startNatsServer } from '@assay/messaging';
import { createServiceApp, loadConfig, startServiceApp } from '@assay/platform';
import type { NatsConnection } from 'nats';

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * A real platform for medium and e2e tests: an s3rver on a temp folder, a nats-server of its own (JetStream
 * on, a free port; the one at NATS_URL when no binary is found), a unique jobs namespace, and services
 * started in-process on random ports. A private server keeps request subjects from being answered by
 * another test's (or a developer's running platform's) services. Everything is torn down by close().
 */
export class PlatformHarness {
  /** Running services by name, or by the `key` they were started under (a second replica, another role). */
  readonly apps = new Map<string, INestApplication>();
  readonly dataDir: string;
  readonly namespace: string;
  readonly bucket = 'assay-test';
  s3!: EmbeddedS3;
  store!: ObjectStore;
  registry!: ModelRegistry;
  nc!: NatsConnection;
  rpc!: RpcClient;
  natsUrl = TEST_NATS_URL;
  private nats?: LocalNats;
  private readonly savedEnv = { ...process.env };

  constructor(readonly label = 'test') {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `assay-${label}-`));
    this.namespace = `t${randomBytes(5).toString('hex')}`;
  }

  async start(): Promise<this> {
    const accessKey = 'assaytest';
    const secretKey = 'assaytestsecret';
    const bin = process.env.ASSAY_TEST_SHARED_NATS ? undefined : findNatsServer();
    if (bin) {
      this.nats = await startNatsServer(bin, path.join(this.dataDir, 'nats'));
      this.natsUrl = this.nats.url;
    }
    this.s3 = await startEmbeddedS3({ directory: path.join(this.dataDir, 's3'), accessKey, secretKey, buckets: [this.bucket] });
    Object.assign(process.env, {
      NATS_URL: this.natsUrl,
      S3_ENDPOINT: this.s3.endpoint,
      S3_ACCESS_KEY: accessKey,
      S3_SECRET_KEY: secretKey,
      S3_BUCKET: this.bucket,
      ASSAY_DATA_DIR: this.dataDir,
      ASSAY_NAMESPACE: this.namespace,
      ASSAY_API_KEYS: 'test-key',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ASSAY_RUNTIME_INTRA_OP_THREADS: '1',
    });
    for (const service of SERVICES) process.env[`ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`] = '0';
    const config = loadConfig();
    this.store = new ObjectStore(config.objectStore);
    this.registry = new ModelRegistry(this.store, new LocalArtifactCache(path.join(this.dataDir, 'client-cache'), 1024 ** 3));
    this.nc = await connectNats({ servers: this.natsUrl, name: `harness-${this.label}` });
    this.rpc = new RpcClient(this.nc, { defaultTimeoutMs: 60_000, namespace: this.namespace });
    return this;
  }

  /**
   * Starts a service module in this process (HTTP on a random port + NATS microservice). `env` overrides the
   * environment while it boots (e.g. `ASSAY_ROLE: 'worker'`, another `ASSAY_NAMESPACE`); `key` names it in `apps`
   * when the same service runs more than once.
   */
  async startService(module: Type<unknown>, service: ServiceName, options: { env?: Record<string, string>; key?: string } = {}): Promise<INestApplication> {
    const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((name) => [name, process.env[name]]));
    Object.assign(process.env, options.env);
    try {
      const config = loadConfig(service);
      const app = await createServiceApp(module, service, config);
      try {
        await startServiceApp(app, service, config);
      } catch (error) {
        await app.close().catch(() => undefined);
        throw error;
      }
      this.apps.set(options.key ?? service, app);
      return app;
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  /** The wire subject of a registry subject in this harness's namespace, for tests that talk raw NATS (`harness.nc`). */
  subject(subject: string): string {
    return requestSubject(this.namespace, subject);
  }

  async url(service: string): Promise<string> {
    const app = this.apps.get(service);
    if (!app) throw new Error(`${service} is not running`);
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  async close(): Promise<void> {
    for (const app of [...this.apps.values()].reverse()) await app.close().catch(() => undefined);
    this.apps.clear();
    await this.nc?.drain().catch(() => undefined);
    await this.s3?.close().catch(() => undefined);
    await this.nats?.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in this.savedEnv)) delete process.env[key];
    Object.assign(process.env, this.savedEnv);
  }
}
