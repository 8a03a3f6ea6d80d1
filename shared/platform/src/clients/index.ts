export * from './generation.client';
export * from './likelihood.client';
export * from './model-service-errors';
export * from './certifier.client';
export * from './rectifier.client';
export * from './reward-head.client';
export * from './calibrator.client';
