import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { NatsConfig } from './config';
import { DEFAULT_MAX_PAYLOAD } from './config';

/** NATS connection options shared by our clients and Nest's NATS transport. */
export function natsConnectionOptions(config: NatsConfig): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: config.servers,
    name: config.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: config.waitOnFirstConnect ?? true,
  };
  if (config.token) options.token = config.token;
  if (config.user) {
    options.user = config.user;
    options.pass = config.pass;
  }
  return options;
}

/** Connects and keeps reconnecting forever; callers own the connection and `drain()` it on shutdown. */
export function connectNats(config: NatsConfig): Promise<NatsConnection> {
  return connect(natsConnectionOptions(config));
}

/** The connected server's max_payload (1 MiB by default); it can change after a reconnect to another server. */
export function maxPayload(nc: NatsConnection): number {
  return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}
