export * from './adam';
export * from './dense';
export * from './logistic';
