export * from './domain-text';
export * from './domain-pair';
export * from './domain-separation';
export * from './hold-out';
export { OnnxSequenceScorer } from './onnx-scorer';
export type { ScoreRequest } from './onnx-scorer';
export * from './presets';
export * from './demo-pair';
export { trainGptInWorker } from './train-in-worker';
