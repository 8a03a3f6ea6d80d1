export * from './gpt/gpt-weights';
export * from './gpt/reference-forward';
// Llama-family weights in the trainer's terms (config.json keys). Only names that the family exporter
// (./onnx/decoder-families) does not also export; the rest are imported by path.
export { decoderParamSpecs } from './gpt/decoder-weights';
export type { DecoderConfigJson, NamedTensor } from './gpt/decoder-weights';
export { decoderConfigFromJson } from './gpt/decoder-config-json';
export * from './onnx/graph-builder';
export * from './onnx/gpt-export';
export * from './onnx/model-dir';
export * from './onnx/decoder-families';
export * from './tokenizer/tokenizer-json';
export * from './tokenizer/byte-level';
export * from './tokenizer/bpe-trainer';
export * from './tokenizer/bpe-encoder';
export * from './tokenizer/tokenizer-dir';
export * from './classifier';
export * from './train';
export * from './recipes';
export * from './demo-corpus';
export * from './pipelines';
