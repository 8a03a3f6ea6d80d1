export { NatsTraceInterceptor } from './nats-trace.interceptor';
export { natsServerOptions, serviceQueue } from './nats-server-options';
export { KeepaliveNatsServer } from './keepalive-nats-server';
