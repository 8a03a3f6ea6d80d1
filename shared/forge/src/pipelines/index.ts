export * from './lm-dir';
export * from './forge-lm';
