export * from './water-filling';
export * from './sarsa';
export * from './toxicity-metrics';
export * from './q-head';
export * from './q-trainer';
