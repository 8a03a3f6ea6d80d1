/**
 * @assay/stats: pure algorithms (no I/O). VALID domain certification, anytime-valid audit tests by betting and
 * confidence sequences, seeded randomness, small statistics, sacreBLEU-compatible text scores, calibration metrics
 * and temperature scaling (calibration/), Direct Preference Head losses and trainer (dph/), rectified decoding's
 * water-filling and SARSA pieces (rectification/), and the small-network building blocks they share (nn/).
 */
export * from './rng';
export * from './descriptive';
export * from './special-functions';
export * from './mean-ci';
export * from './histogram';
export * from './valid';
export * from './valid-eval';
export * from './valid-separation';
export * from './betting/sequential-test';
export * from './betting/witness-net';
export * from './betting/learned-witness-test';
export * from './betting/mean-difference-test';
export * from './betting/create-test';
export * from './betting/naive-t-test';
export * from './betting/score-distributions';
export * from './betting/simulate';
export * from './text-metrics';
export * from './nn';
export * from './calibration';
export * from './dph';
export * from './rectification';
export * from './confidence-sequence';
export * from './proportion-ci';
export * from './float16';
