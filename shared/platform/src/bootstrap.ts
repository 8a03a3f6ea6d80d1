import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { AssayNatsServer, natsServerOptions } from '@assay/messaging';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ServiceName } from '@assay/contracts';
import { createLogger, PinoNestLogger } from '@assay/telemetry';
import { AssayConfig, loadConfig } from './config';
import { installHttpEdge, workerHttpOnly } from './http-edge';
import { SafeNatsDeserializer } from './nats-deserializer';
import { setupOpenApi } from './openapi';

/**
 * The NATS transport of a service: its queue group, credentials, the forgiving deserializer, and the hardened
 * reply path (AssayNatsServer: a reply over NATS's max_payload answers PAYLOAD_TOO_LARGE instead of killing the
 * process; keep-alives to callers that ask, so they notice at once when this process dies mid-request).
 */
export function natsMicroserviceOptions(config: AssayConfig, service: ServiceName): MicroserviceOptions {
  const base = natsServerOptions({ servers: config.nats.servers, user: config.nats.user, pass: config.nats.pass, token: config.nats.token }, service);
  // In-flight requests get 2 s to finish after unsubscribing; hostile input gets an envelope, not a crash.
  return {
    strategy: new AssayNatsServer({ ...base.options, namespace: config.nats.namespace, deserializer: new SafeNatsDeserializer(config.nats.maxMessageBytes), gracePeriod: 2000 }),
  };
}

/**
 * The hybrid bootstrap every service uses: HTTP app (no body parser up front: see JsonBodyInterceptor), NATS microservice, OpenAPI at /docs, JSON logs,
 * shutdown hooks (SIGTERM drains NATS and job workers before exit), then listen.
 */
export async function createServiceApp(
  module: Type<unknown>,
  service: ServiceName,
  config: AssayConfig = loadConfig(service),
): Promise<NestExpressApplication> {
  const logger = createLogger(service, config.telemetry.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  // JSON bodies are read after the API key check (JsonBodyInterceptor); Node's own refusals carry the envelope.
  installHttpEdge(app.getHttpServer());
  // A worker answers no request: no NATS subjects, and over HTTP only what probes and scrapers call.
  if (config.role === 'worker') app.use(workerHttpOnly(service));
  else app.connectMicroservice<MicroserviceOptions>(natsMicroserviceOptions(config, service), { inheritAppConfig: true });
  setupOpenApi(app, service);
  app.enableShutdownHooks();
  return app;
}

export async function startServiceApp(app: INestApplication, service: ServiceName, config: AssayConfig = loadConfig(service)) {
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  const logger = createLogger(service, config.telemetry.logLevel);
  logger.info({ url: await app.getUrl(), docs: `${await app.getUrl()}/docs`, nats: config.nats.servers, role: config.role, namespace: config.namespace }, `${service} listening`);
  return app;
}

export async function bootstrapService(module: Type<unknown>, service: ServiceName): Promise<INestApplication> {
  const config = loadConfig(service);
  const app = await createServiceApp(module, service, config);
  return startServiceApp(app, service, config);
}
