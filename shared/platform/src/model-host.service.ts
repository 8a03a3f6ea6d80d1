import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { ModelRegistry } from '@assay/artifacts';
import { splitModelRef } from '@assay/contracts';
import { EngineClient, LocalEngine, ModelInfo } from '@assay/runtime';
import type { AssayConfig } from './config';
import { meteredEngine } from './metered-engine';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';
import { ASSAY_CONFIG, ASSAY_LOGGER } from './tokens';

export interface HostedModel {
  /** Engine key: `name@version`, so a new version never shadows one in use. */
  key: string;
  name: string;
  version: string;
  info: ModelInfo;
  /** sha256 of the version's tokenizer.json (as in its registry manifest); undefined without one. */
  tokenizerDigest?: string;
}

/** sha256 of a model directory's tokenizer.json (the bytes the registry checksummed), or undefined. */
async function tokenizerDigest(dir: string): Promise<string | undefined> {
  const bytes = await fs.readFile(path.join(dir, 'tokenizer.json')).catch(() => undefined);
  return bytes && createHash('sha256').update(bytes).digest('hex');
}

/**
 * Resolves model references through the registry (ModelRegistry.resolveRef), downloads (checksums verified, cached) and loads each
 * version once into the runtime engine. The one place services turn "name@version" into something they can
 * generate with or score with.
 */
@Injectable()
export class ModelHostService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly engine: EngineClient;
  private readonly loaded = new Map<string, Promise<HostedModel>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: MetricsService,
    private readonly readiness: ReadinessService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {
    const engine = new LocalEngine({
      config: config.runtime.engine,
      logger: { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m) },
    });
    this.engine = meteredEngine(engine, metrics);
  }

  onApplicationBootstrap() {
    const preload = this.config.runtime.preload;
    this.readiness.register('models', async () => {
      const states = await Promise.all(preload.map((ref) => this.acquire(ref).then(() => true, (e: Error) => `${ref}: ${e.message}`)));
      const failures = states.filter((s): s is string => s !== true);
      return failures.length ? failures.join('; ') : true;
    });
    for (const ref of preload) void this.acquire(ref).catch(() => undefined);
  }

  async onApplicationShutdown() {
    await this.engine.close().catch(() => undefined);
  }

  /**
   * The loaded model for a reference, loading it on first use. Unknown names → NOT_FOUND. `variant` picks a
   * weight variant (model_fp16.onnx, model_quantized.onnx, ...), loaded as a model of its own.
   */
  async acquire(ref: string, options: { variant?: string } = {}): Promise<HostedModel> {
    // A version is immutable: `name@version` already loaded needs no registry round trip (callers on a latency
    // path, such as the certifier scoring with its guide, pass the resolved version).
    const known = splitModelRef(ref).version === undefined ? undefined : this.loaded.get(options.variant ? `${ref}:${options.variant}` : ref);
    if (known) return known;
    const { name, version, ref: resolved } = await this.registry.resolveRef(ref);
    const key = options.variant ? `${resolved}:${options.variant}` : resolved;
    let pending = this.loaded.get(key);
    if (!pending) {
      pending = this.load(name, version, key, options.variant);
      this.loaded.set(key, pending);
      // A failed load is not cached: the next request retries (e.g. after the file was fixed).
      pending.catch(() => this.loaded.delete(key));
    }
    return pending;
  }

  private async load(name: string, version: string, key: string, variant?: string): Promise<HostedModel> {
    const started = Date.now();
    this.metrics.modelLoaded.set({ model: key }, 0);
    try {
      const dir = await this.registry.fetch(name, version);
      const info = await this.engine.loadModel(key, dir, { variant });
      this.metrics.modelLoaded.set({ model: key }, 1);
      this.logger.info({ model: key, ms: Date.now() - started, providers: info.executionProviders }, 'model loaded');
      return { key, name, version, info, tokenizerDigest: await tokenizerDigest(dir) };
    } catch (error) {
      this.logger.warn({ model: key, err: (error as Error).message }, 'model failed to load');
      throw error;
    }
  }
}
