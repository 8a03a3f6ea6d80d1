export * from './ece';
export * from './scores';
export * from './temperature';
export * from './query-loss';
export * from './mlp-probe';
export * from './summary';
