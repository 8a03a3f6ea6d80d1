export * from './decoder-config';
export * from './decoder-weights';
export * from './decoder-reference';
export * from './decoder-graph';
export * from './decoder-export';
export { WeightFormat } from './weight-store';
