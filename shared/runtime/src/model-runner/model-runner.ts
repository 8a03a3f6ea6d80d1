import { RuntimeError } from '../errors';

/**
 * What a model runner is: the architecture-specific knowledge (config keys, graph input/output names, how
 * one forward pass is fed), registered per `model_type` in the runner table. The decode loop, scoring
 * and pooling are shared by every decoder runner; classifiers have their own single pass.
 */

/** What a model does: decoders generate, score and pool; classifiers only classify. */
export type ModelTask = 'text-generation' | 'text-classification';

/** A sequence classifier's head as config.json describes it. */
export interface ClassifierHead {
  /** Index i names logits column i. */
  labels: string[];
  positiveLabel: string;
  positiveIndex: number;
  /** Default decision threshold on P(positive label). */
  threshold: number;
  /** Lowercase texts before tokenizing (the tokenizer's normalizer usually does it too; both is harmless). */
  lowercase: boolean;
}

export interface ModelShape {
  architecture: string;
  vocabSize: number;
  contextLength: number;
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (fewer than `heads` for grouped-query attention; equal for GPT-2). */
  kvHeads: number;
  /** Width of one head (`head_dim`; hiddenSize / heads unless the config says otherwise). */
  headDim: number;
  hiddenSize: number;
  /** Rotary embedding base (`rope_theta`), for families that use rotary positions. */
  ropeTheta?: number;
  bosTokenId?: number;
  /** Every id that ends generation (config.json and generation_config.json merged). */
  eosTokenIds: number[];
  /** Fills padded slots; defaults to EOS, then 0 (the attention mask hides it either way). */
  padTokenId: number;
  /** Text classifiers only (then contextLength is the longest input kept, and layers/heads are 0). */
  classifier?: ClassifierHead;
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

/** Element type of the KV cache (and of logits / hidden states) as the graph declares it. */
export type FloatType = 'float32' | 'float16';

/** The graph's names as this runtime uses them, checked against the signature at load time. */
export interface ModelIo {
  inputIds: string;
  attentionMask: string;
  positionIds?: string;
  /** Merged decoders (Optimum's decoder_model_merged): true selects the branch that reads the cache. */
  useCacheBranch?: string;
  /** The runtime's serving rewrite (see prepare/logits-window.ts): logits only from this position on. */
  logitsFrom?: string;
  logits: string;
  /** Classifiers: the graph's own P(positive) output, when it has one (informative; the runtime softmaxes logits). */
  probabilities?: string;
  /** Final hidden states [B, S, D], when the export has them. */
  hiddenStates?: string;
  /** Per layer; empty when the model has no KV cache (every step recomputes the whole sequence). */
  pastInputs: KvNames[];
  presentOutputs: KvNames[];
  kvHeads: number;
  headDim: number;
  /** float16 caches (fp16 exports) are kept and fed back as float16 bits, never converted. */
  kvType: FloatType;
}

export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

export interface Int64Tensor {
  data: BigInt64Array;
  dims: number[];
}

/** A float tensor as the graph stores it: float32, or float16 as raw bits (Node 20 has no Float16Array). */
export type StoredTensor = ({ type: 'float32' } & FloatTensor) | { type: 'float16'; data: Uint16Array; dims: number[] };

export type FeedTensor = StoredTensor | ({ type: 'int64' } & Int64Tensor) | { type: 'bool'; data: Uint8Array; dims: number[] };

/** The seam to the inference library: one forward call. */
export interface InferenceBackend {
  run(feeds: Record<string, FeedTensor>, fetches: string[]): Promise<Record<string, StoredTensor>>;
}

/** Key/value cache of every layer, in the graph's present.* layout [B, kvHeads, length, headDim]. */
export interface PastKeyValues {
  length: number;
  layers: { key: StoredTensor; value: StoredTensor }[];
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
  /** false: single passes that never continue (scoring, pooling) skip fetching the present cache. */
  wantPresent?: boolean;
  /**
   * Positions before this one need no logits (a prefill needs the last one only). A hint: graphs without the
   * serving rewrite return every position's; `ForwardOutputs.logitsPositions` says which came back.
   */
  logitsFrom?: number;
}

export interface ForwardOutputs {
  /** [B, logitsPositions, vocab]: the last `logitsPositions` positions of each row. */
  logits: Float32Array;
  vocab: number;
  logitsPositions: number;
  /** [B, seqLen, hiddenSize], when asked for. */
  hiddenStates?: Float32Array;
  /** The cache to feed next, when the model has one. */
  present?: PastKeyValues;
}

/** Right-padded rows of token ids for a classifier pass. */
export interface ClassifierInputs {
  batch: number;
  seqLen: number;
  /** [B, seqLen] */
  inputIds: BigInt64Array;
  /** [B, seqLen] */
  attentionMask: BigInt64Array;
}

export interface ClassifierOutputs {
  /** [B, labels] */
  logits: Float32Array;
  labels: number;
}

interface RunnerBase {
  readonly architecture: string;
  readonly task: ModelTask;
  /** Reads config.json (+ generation_config.json); throws MODEL_DIR_INVALID naming the missing key. */
  parseConfig(config: Record<string, unknown>, generationConfig: Record<string, unknown>): ModelShape;
  /** Maps the loaded graph's signature to names; throws MODEL_SIGNATURE_INVALID. */
  describeIo(signature: ModelSignature, shape: ModelShape, config: Record<string, unknown>): ModelIo;
}

export interface DecoderRunner extends RunnerBase {
  readonly task: 'text-generation';
  forward(backend: InferenceBackend, io: ModelIo, inputs: ForwardInputs): Promise<ForwardOutputs>;
}

export interface ClassifierRunner extends RunnerBase {
  readonly task: 'text-classification';
  classify(backend: InferenceBackend, io: ModelIo, inputs: ClassifierInputs): Promise<ClassifierOutputs>;
}

export type ModelRunner = DecoderRunner | ClassifierRunner;

/** The runner as a decoder, or UNSUPPORTED naming what the model is instead. */
export function decoderRunner(runner: ModelRunner): DecoderRunner {
  if (runner.task !== 'text-generation') throw new RuntimeError('UNSUPPORTED', `${runner.architecture} is a ${runner.task} model, not a decoder`);
  return runner;
}

export function classifierRunner(runner: ModelRunner): ClassifierRunner {
  if (runner.task !== 'text-classification') throw new RuntimeError('UNSUPPORTED', `${runner.architecture} is a ${runner.task} model, not a text classifier`);
  return runner;
}
