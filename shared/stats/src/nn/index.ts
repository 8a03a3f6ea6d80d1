export * from './adam';
export * from './dense';
export * from './logistic';
export * from './early-stopping';
