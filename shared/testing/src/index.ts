export * from './platform-harness';
export * from './model-factory';
