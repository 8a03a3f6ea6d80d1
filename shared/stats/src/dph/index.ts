export * from './losses';
export * from './reward-head';
export * from './train-head';
export * from './metrics';
