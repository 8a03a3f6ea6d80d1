import { NatsOptions, Transport } from '@nestjs/microservices';
import type { NatsConfig } from '../config';

/** Every service answers its subjects in its own queue group, so replicas share the load. */
export function serviceQueue(serviceName: string): string {
  return `assay.${serviceName}`;
}

/** Nest `Transport.NATS` options of a service: servers, queue group, credentials, reconnect forever. */
export function natsServerOptions(config: NatsConfig, serviceName: string): NatsOptions & { transport: Transport.NATS } {
  return {
    transport: Transport.NATS,
    options: {
      servers: config.servers,
      queue: serviceQueue(serviceName),
      name: config.name ?? `assay-${serviceName}`,
      user: config.user,
      pass: config.pass,
      token: config.token,
      maxReconnectAttempts: -1,
      gracefulShutdown: true,
    },
  };
}
