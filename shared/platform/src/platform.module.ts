import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { Logger } from 'pino';
import { ServiceName } from '@assay/contracts';
import { NatsTraceInterceptor, RpcClient } from '@assay/messaging';
import { createLogger } from '@assay/telemetry';
import { ApiKeyGuard } from './api-key.guard';
import { dependencyCheck } from './dependency-readiness';
import { AssayConfig, loadConfig } from './config';
import { ContractCoverageService } from './contract-coverage.service';
import { AssayErrorFilter } from './error.filter';
import { HealthController } from './health.controller';
import { JsonBodyInterceptor } from './json-body.interceptor';
import { healthRpcController } from './health-rpc.controller';
import { MetricsInterceptor } from './metrics.interceptor';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';
import { ASSAY_CONFIG, ASSAY_LOGGER } from './tokens';
import { infrastructureProviders, INFRASTRUCTURE_EXPORTS } from './infrastructure.providers';

export interface PlatformOptions {
  service: ServiceName;
  /** Overrides for tests (e.g. a random port, a test bucket); merged over the env-derived config. */
  config?: AssayConfig;
  /** Services this one cannot work without: /readyz is not ready while none of them answers its health request. */
  requires?: ServiceName[];
}

/**
 * Everything a service stands on, registered once: config, logs, metrics, health, API keys, the error
 * envelope, tracing of NATS messages, the clients of NATS, JetStream jobs, the object store and the model services,
 * and a boot-time check that the service serves exactly its contracts.
 */
const REQUIRED_SERVICES = Symbol('REQUIRED_SERVICES');

@Global()
@Module({})
export class PlatformModule implements OnApplicationShutdown {
  constructor(@Inject(ASSAY_LOGGER) private readonly logger: Logger) {}

  static forRoot(options: PlatformOptions): DynamicModule {
    const providers: Provider[] = [
      // Read at instantiation, not import, so tests can set the environment before creating the app.
      { provide: ASSAY_CONFIG, useFactory: () => options.config ?? loadConfig(options.service) },
      { provide: ASSAY_LOGGER, inject: [ASSAY_CONFIG], useFactory: (config: AssayConfig) => createLogger(options.service, config.telemetry.logLevel) },
      MetricsService,
      ReadinessService,
      ...infrastructureProviders,
      ContractCoverageService,
      {
        provide: REQUIRED_SERVICES,
        inject: [RpcClient, ReadinessService],
        useFactory: (rpc: RpcClient, readiness: ReadinessService) => {
          for (const service of options.requires ?? []) readiness.register(`service:${service}`, dependencyCheck(rpc, service));
          return options.requires ?? [];
        },
      },
      { provide: APP_FILTER, useClass: AssayErrorFilter },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
      { provide: APP_INTERCEPTOR, useClass: NatsTraceInterceptor },
      { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
    ];
    return {
      module: PlatformModule,
      imports: [DiscoveryModule],
      controllers: [HealthController, healthRpcController(options.service)],
      providers,
      exports: [ASSAY_CONFIG, ASSAY_LOGGER, MetricsService, ReadinessService, ...INFRASTRUCTURE_EXPORTS],
    };
  }

  onApplicationShutdown(signal?: string) {
    this.logger.info({ signal }, 'service stopped');
  }
}
