export { NatsTraceInterceptor } from './nats-trace.interceptor';
export { natsServerOptions, serviceQueue } from './nats-server-options';
