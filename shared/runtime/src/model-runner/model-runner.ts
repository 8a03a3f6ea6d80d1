/**
 * What a model runner is: the architecture-specific knowledge (config keys, graph input/output names, how
 * one forward pass is fed), registered per `model_type` in the runner table. The decode loop, scoring
 * and pooling are shared by every decoder runner.
 */

export interface ModelShape {
  architecture: string;
  vocabSize: number;
  contextLength: number;
  layers: number;
  heads: number;
  hiddenSize: number;
  bosTokenId?: number;
  /** Every id that ends generation (config.json and generation_config.json merged). */
  eosTokenIds: number[];
  /** Fills padded slots; defaults to EOS, then 0 (the attention mask hides it either way). */
  padTokenId: number;
}

export interface TensorInfo {
  name: string;
  type: string;
  /** Numbers are fixed sizes, strings symbolic dimensions. */
  shape: ReadonlyArray<number | string>;
}

export interface ModelSignature {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface KvNames {
  key: string;
  value: string;
}

/** The graph's names as this runtime uses them, checked against the signature at load time. */
export interface ModelIo {
  inputIds: string;
  attentionMask: string;
  positionIds?: string;
  logits: string;
  /** Final hidden states [B, S, D], when the export has them. */
  hiddenStates?: string;
  /** Per layer; empty when the model has no KV cache (every step recomputes the whole sequence). */
  pastInputs: KvNames[];
  presentOutputs: KvNames[];
  kvHeads: number;
  headDim: number;
}

export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

export interface Int64Tensor {
  data: BigInt64Array;
  dims: number[];
}

export type FeedTensor = ({ type: 'float32' } & FloatTensor) | ({ type: 'int64' } & Int64Tensor);

/** The seam to the inference library: one synchronous-looking forward call. */
export interface InferenceBackend {
  run(feeds: Record<string, FeedTensor>, fetches: string[]): Promise<Record<string, FloatTensor>>;
}

/** Key/value cache of every layer, in the graph's present.* layout [B, heads, length, headDim]. */
export interface PastKeyValues {
  length: number;
  layers: { key: FloatTensor; value: FloatTensor }[];
}

export interface ForwardInputs {
  batch: number;
  /** New positions in this call. */
  seqLen: number;
  /** [B, seqLen] */
  inputIds: BigInt64Array;
  /** [B, past + seqLen] */
  attentionMask: BigInt64Array;
  /** [B, seqLen] */
  positionIds: BigInt64Array;
  /** Omitted (or length 0) for the first call. */
  past?: PastKeyValues;
  wantHiddenStates?: boolean;
}

export interface ForwardOutputs {
  /** [B, seqLen, vocab] */
  logits: Float32Array;
  vocab: number;
  /** [B, seqLen, hiddenSize], when asked for. */
  hiddenStates?: Float32Array;
  /** The cache to feed next, when the model has one. */
  present?: PastKeyValues;
}

export interface ModelRunner {
  readonly architecture: string;
  /** Reads config.json (+ generation_config.json); throws MODEL_DIR_INVALID naming the missing key. */
  parseConfig(config: Record<string, unknown>, generationConfig: Record<string, unknown>): ModelShape;
  /** Maps the loaded graph's signature to names; throws MODEL_SIGNATURE_INVALID. */
  describeIo(signature: ModelSignature, shape: ModelShape, config: Record<string, unknown>): ModelIo;
  forward(backend: InferenceBackend, io: ModelIo, inputs: ForwardInputs): Promise<ForwardOutputs>;
}
