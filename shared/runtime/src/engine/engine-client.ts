import { ExecutorHealth } from '../executor/executor';
import type { CapMode } from '@assay/stats';
import { FinishReason, Pooling, RectificationTotals } from '../model-runner/batch-types';
import { ModelTask } from '../model-runner/model-runner';
import type { ChatMessage } from '../chat/chat-template';

/**
 * The narrow protocol services depend on (vLLM's EngineClient): they never see executors, sessions
 * or onnxruntime. `LocalEngine` implements it in-process; a remote client could implement it over NATS.
 * Field names follow @assay/contracts' wire schemas where both exist.
 */
export interface EngineClient {
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * `generate`, reporting each token as soon as its decoding step is done (while the batch still runs).
   * Resolves with exactly what `generate` would return (same seed, same completions); per completion the
   * tokens arrive in order, and all of them before the promise resolves. Aborting `signal` stops the
   * listener at once, ends the request's sequences at their next step and rejects with CANCELLED.
   */
  generateStream(request: GenerateRequest, onToken: (token: StreamedToken) => void, options?: { signal?: AbortSignal }): Promise<GenerateResult>;
  score(request: ScoreRequest): Promise<ScoreResult>;
  hiddenStates(request: HiddenStatesRequest): Promise<HiddenStatesResult>;
  /**
   * A conversation rendered with the model's chat template (and tokenized), for services that build
   * conversations (reward head, gateway). UNSUPPORTED when the model has no template.
   */
  renderChat(request: RenderChatRequest): Promise<RenderChatResult>;
  /**
   * Token ids of texts as hiddenStates and score feed them (no BOS added; special tokens such as `<|im_end|>`
   * written in the text are their own ids), for services that compare texts with sampled tokens.
   */
  tokenize(request: TokenizeRequest): Promise<TokenizeResult>;
  /** Text classification, for models whose config.json `model_type` is a classifier (`assay-text-classifier`). */
  classify(request: ClassifyRequest): Promise<ClassifyResult>;
  health(): Promise<EngineHealth>;
  /**
   * Loads a model directory under `name` (Optimum layout with the graph at the root, transformers.js layout
   * with it under `onnx/`, or a classifier directory); fails if the name is taken.
   */
  loadModel(name: string, dir: string, options?: LoadModelOptions): Promise<ModelInfo>;
  unloadModel(name: string): Promise<void>;
  listModels(): Promise<ModelInfo[]>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  /**
   * Weight variant: `fp32` (model.onnx), `fp16` (model_fp16.onnx), `quantized` (model_quantized.onnx), or
   * another transformers.js suffix (q4, int8, ...). Missing → MODEL_FILE_INVALID. Default: the runtime's
   * configured variant when the directory has it, else fp32.
   */
  variant?: string;
}

export interface GenerateRequest {
  model: string;
  /** Texts to continue; or give `messages` instead. */
  prompts?: string[];
  /**
   * Chat: one conversation ([{role, content}, ...]) or a batch of them, rendered with the model's chat template
   * (tokenizer_config.json `chat_template`) with the assistant's turn opened; each conversation is one prompt
   * (promptIndex = its position). BOS is not added (the template writes its own special tokens) unless addBos.
   */
  messages?: ChatMessage[] | ChatMessage[][];
  /** Extra template variables for `messages` (e.g. enable_thinking). */
  chatTemplateVariables?: Record<string, unknown>;
  /** Samples per prompt (default 1). */
  n?: number;
  /**
   * Prompt tokens + maxNewTokens must fit the context, or the request fails before running (CONTEXT_OVERFLOW).
   * Default: 64, or what the context leaves after the prompt if less.
   */
  maxNewTokens?: number;
  /** Default 1; 0 = greedy. */
  temperature?: number;
  /** 0 (default) disables. */
  topK?: number;
  /** 1 (default) disables. */
  topP?: number;
  /**
   * Every (prompt position, sample) draws from its own stream, keyed by (seed, sample index, prompt tokens,
   * copy number of that prompt in the request): the same seed reproduces a prompt's samples whatever else
   * shares its request or executor batch, and two copies of a prompt in one request (or n > 1) are independent
   * samples, as in other LLM APIs. Default: random (returned in the result).
   */
  seed?: number;
  /** Generation stops when the decoded text contains one; the text is cut before it. */
  stop?: string[];
  /** Default true. */
  stopOnEos?: boolean;
  /** Per generated token, the final hidden state at that token's position (needs a hidden-states output). */
  returnHiddenStates?: boolean;
  /**
   * An end-of-turn token (its text, e.g. `<|im_end|>`; it must encode to exactly one token): each completion then
   * carries `endOfTurnState`, the final hidden state at this token placed right after the completion (one extra
   * cached step per sequence; needs a hidden-states output, and one more position than prompt + maxNewTokens).
   */
  endOfTurnToken?: string;
  /** Prepend the model's BOS token to the prompt (default true, as score does; false for `messages`). */
  addBos?: boolean;
  /**
   * Rectified decoding: at every step the Q head caps the next-token distribution (exact water-filling before
   * top-k/top-p, see sampling/rectified-sampler.ts); each completion then carries `rectification`.
   */
  rectify?: RectifyOptions;
}

export interface RectifyOptions {
  /** A Q head on the model's final hidden states (@assay/stats qHeadLayout over {inDim, hidden, vocab}). */
  head: { inDim: number; hidden: number; vocab: number; params: Float64Array };
  /** ε ∈ [0, 1]. */
  epsilon: number;
  /** Floor of every cap (default 1e-7). */
  pMin?: number;
  /** Default absolute. */
  mode?: CapMode;
  exemptTokens?: number[];
}

export interface RenderChatRequest {
  model: string;
  /** One conversation. */
  messages: ChatMessage[];
  /** End with the assistant's turn opener (default true). */
  addGenerationPrompt?: boolean;
  variables?: Record<string, unknown>;
}

export interface RenderChatResult {
  model: string;
  /** The conversation as the model's chat template renders it. */
  text: string;
  /** Its token ids as generate feeds them (no BOS added: the template writes its own special tokens). */
  tokenIds: number[];
}

export interface TokenizeRequest {
  model: string;
  texts: string[];
}

export interface TokenizeResult {
  model: string;
  /** One list per text. */
  tokenIds: number[][];
}

export interface GeneratedToken {
  id: number;
  text: string;
  /** Natural-log probability under the model at temperature 1 (raw log-softmax). */
  logprob: number;
  /** Natural-log probability under the distribution actually sampled from (temperature, top-k, top-p); 0 when greedy. */
  samplingLogprob: number;
}

export interface Completion {
  promptIndex: number;
  sampleIndex: number;
  /** Generated text: EOS contributes nothing; with finishReason 'stop' it ends before the stop string. */
  text: string;
  /** Every sampled token, including EOS and the tokens of a matched stop string. */
  tokens: GeneratedToken[];
  finishReason: FinishReason;
  stopString?: string;
  /** Prompt tokens (BOS included). */
  promptTokens: number;
  /** One Float32Array(hiddenSize) per token, when returnHiddenStates. */
  hiddenStates?: Float32Array[];
  /**
   * With endOfTurnToken: the final hidden state at the end-of-turn token placed after the completion's tokens (all
   * of them, a stop string's included, except the EOS when finishReason is 'eos': it adds no text), i.e. the state
   * a full forward pass over prompt + those tokens + [end-of-turn] gives at its last position. Absent when
   * returnHiddenStates is also set and the completion ended with an EOS other than the end-of-turn token.
   */
  endOfTurnState?: Float32Array;
  /** Rectified requests: the water-filling's diagnostics summed over the completion's steps. */
  rectification?: RectificationTotals;
}

/** One generated token of a streamed request, as it will appear in `completions[…].tokens[index]`. */
export interface StreamedToken extends GeneratedToken {
  promptIndex: number;
  sampleIndex: number;
  /** Position in its completion's `tokens`. */
  index: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface GenerateResult {
  model: string;
  /** Prompt-major: prompt 0's samples 0…n−1, then prompt 1's, … */
  completions: Completion[];
  usage: Usage;
  seed: number;
  /** `messages` requests: each conversation as the chat template rendered it (what the model was fed). */
  renderedPrompts?: string[];
}

/**
 * One scored pair. Context and continuation are tokenized separately (no special tokens) and
 * concatenated as [BOS] + context + continuation, so tokens never merge across the boundary and the
 * scored tokens are exactly the continuation's own tokenization (or `continuationIds`, to rescore
 * generated token ids exactly). With an empty context the first continuation token is conditioned on BOS.
 */
export interface ScoreItem {
  context?: string;
  continuation?: string;
  continuationIds?: number[];
}

export interface ScoreRequest {
  model: string;
  items: ScoreItem[];
  /** Prepend BOS (default true). With an empty context BOS is prepended regardless. */
  addBos?: boolean;
  /** Drop context tokens from the left when a pair is longer than the context (default false: fail). */
  truncateContext?: boolean;
  /**
   * Run at once instead of waiting out the batching window for other requests to join (still merged with
   * whatever is already queued): for a caller on a latency path that has all its items, e.g. scoring a
   * generation's completions with a second model in the same process.
   */
  immediate?: boolean;
}

export interface ScoredToken {
  id: number;
  text: string;
  logprob: number;
}

export interface ScoreItemResult {
  tokens: ScoredToken[];
  sumLogprob: number;
  numTokens: number;
  /** Every continuation token was the model's argmax. */
  isGreedy: boolean;
  /** Context tokens actually used (after truncation), BOS excluded. */
  contextTokens: number;
  truncatedContextTokens: number;
}

export interface ScoreResult {
  model: string;
  results: ScoreItemResult[];
  usage: Usage;
}

export interface HiddenStatesRequest {
  model: string;
  texts: string[];
  /** 'last' (default): the last token's state; 'mean': mean over the text's tokens (BOS excluded); 'tokens': every token's. */
  pooling?: Pooling;
  /** Default true. */
  addBos?: boolean;
  /**
   * Run at once instead of waiting the batching window (windowMs) for other requests to join: for a caller on a
   * latency path whose texts are all in this request. Requests already waiting run with it.
   */
  immediate?: boolean;
}

export interface HiddenStatesResult {
  model: string;
  hiddenSize: number;
  pooling: Pooling;
  /** Per text: rows × hiddenSize values, row-major. */
  vectors: Float32Array[];
  rows: number[];
  usage: Usage;
}

export interface ClassifyRequest {
  model: string;
  /** Texts to classify; empty strings are allowed. Each keeps only its first max_length tokens. */
  texts: string[];
  /** Decision threshold on P(positive label) for `labels` (default: the model's, from config.json). */
  threshold?: number;
}

export interface ClassifyResult {
  model: string;
  /** Per text: P(positive label), e.g. P(toxic). */
  probabilities: number[];
  /** Per text: the positive label when its probability ≥ threshold, else the most probable other label. */
  labels: string[];
  /** Per text: the probability of every label, in `ModelInfo.classifier.labels` order. */
  labelProbabilities: number[][];
  positiveLabel: string;
  threshold: number;
  /** inputTokens: tokens actually fed (after truncation). */
  usage: Usage;
}

export interface ClassifierInfo {
  labels: string[];
  positiveLabel: string;
  /** The model's default decision threshold. */
  threshold: number;
  /** Tokens kept per text. */
  maxLength: number;
}

export interface ModelInfo {
  name: string;
  dir: string;
  architecture: string;
  /** The weight variant loaded (fp32, fp16, quantized, ...) and its graph file, relative to `dir`. */
  variant: string;
  modelFile: string;
  /** What the model can do: generate/score/hiddenStates, or classify. */
  task: ModelTask;
  /** Classifiers only. */
  classifier?: ClassifierInfo;
  vocabSize: number;
  tokenizerSize: number;
  contextLength: number;
  layers: number;
  heads: number;
  /** Key/value heads (fewer than `heads` for grouped-query attention). */
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  bosTokenId?: number;
  eosTokenIds: number[];
  padTokenId: number;
  hasKvCache: boolean;
  /** float32, or float16 for fp16 exports. */
  kvCacheType?: 'float32' | 'float16';
  /** Whether the graph outputs final-norm hidden states (needed by hiddenStates and returnHiddenStates; see `assay models prepare`). */
  hasHiddenStates: boolean;
  /** Whether `messages` requests and renderChat work (the model has a chat template). */
  hasChatTemplate: boolean;
  executionProviders: string[];
}

export interface BatchingStats {
  requests: number;
  batches: number;
  /** Executor calls after splitting merged batches to the batch limits. */
  executorCalls: number;
}

export interface EngineHealth {
  status: 'ok' | 'degraded' | 'closed';
  executor: ExecutorHealth;
  models: string[];
  batching: { generate: BatchingStats; score: BatchingStats; hiddenStates: BatchingStats; classify: BatchingStats };
}
