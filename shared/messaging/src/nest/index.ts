export { NatsTraceInterceptor } from './nats-trace.interceptor';
export { natsServerOptions, serviceQueue } from './nats-server-options';
export { AssayNatsServer } from './assay-nats-server';
