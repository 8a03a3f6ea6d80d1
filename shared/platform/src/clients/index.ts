export * from './generation.client';
export * from './likelihood.client';
export * from './model-service-errors';
export * from './certifier.client';
