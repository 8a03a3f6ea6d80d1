export * from './lm-dir';
export * from './forge-lm';
export { importDecoderDir } from './import-decoder';
export type { ImportedDecoder } from './import-decoder';
export { decoderWeightsFromOnnx, readOnnxModel } from './onnx-weights';
export { gptWeightsFromOnnxDir } from './gpt-onnx-weights';
