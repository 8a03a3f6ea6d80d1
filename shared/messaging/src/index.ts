export { AssayError, ERROR_CODES, isErrorEnvelope } from './errors';
export type { ErrorCode, ErrorEnvelope } from './errors';
export * from './config';
export { connectNats, maxPayload, natsConnectionOptions } from './connection';
export { RpcClient, type RpcClientOptions, type RequestOptions } from './rpc-client';
export { injectTraceHeaders, extractTraceContext, contextFromTraceparent, traceparentOf, messagingAttributes } from './tracing';
export { encodeNestEvent, decodeNestEvent, assertFitsPayload } from './codec';
export * from './jobs';
export * from './nest';
