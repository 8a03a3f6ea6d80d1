// Behaviour metrics b(x, y) ∈ [0, 1]: the auditor's audits and the rectifier's toxicity rewards and evaluations.
export * from './behaviour-metric';
export * from './metric-factory';
export * from './pattern-metrics';
export * from './perspective.client';
export * from './perspective-metric';
export * from './reference-metrics';
export * from './text-classifier.client';
export * from './toxicity-metric';
