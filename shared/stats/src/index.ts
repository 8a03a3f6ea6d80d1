/**
 * @assay/stats: pure algorithms (no I/O). VALID domain certification, anytime-valid audit tests by betting,
 * seeded randomness, small statistics, and sacreBLEU-compatible text scores.
 */
export * from './rng';
export * from './descriptive';
export * from './special-functions';
export * from './mean-ci';
export * from './histogram';
export * from './valid';
export * from './valid-eval';
export * from './betting/sequential-test';
export * from './betting/witness-net';
export * from './betting/learned-witness-test';
export * from './betting/mean-difference-test';
export * from './betting/create-test';
export * from './betting/naive-t-test';
export * from './betting/score-distributions';
export * from './betting/simulate';
export * from './text-metrics';
export * from './float16';
