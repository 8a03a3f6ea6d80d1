import { SamplingParams } from '../sampling/sampler';
import { RectifySpec } from '../sampling/rectified-sampler';
import { TextTokenizer } from '../model/text-tokenizer';
import { InferenceBackend, ModelIo, ModelRunner, ModelShape } from './model-runner';

/**
 * The units of work an executor runs: already-tokenized sequences of one model. Typed arrays so they
 * cross worker boundaries by transfer, never as JSON.
 */

export type FinishReason = 'eos' | 'stop' | 'length';

export interface GenerateSequenceSpec {
  /** BOS (if any) + prompt tokens. */
  promptIds: Int32Array;
  maxNewTokens: number;
  sampling: SamplingParams;
  /** Seeds this sequence's own random stream (see request-preparation for how it is derived). */
  rngKey: string;
  stop: string[];
  stopOnEos: boolean;
  returnHiddenStates: boolean;
  /**
   * The end-of-turn token id (e.g. ChatML `<|im_end|>`): when the sequence finishes, return the final-norm hidden
   * state at this token placed right after the completion's tokens (see {@link GeneratedSequence.endOfTurnState}).
   * The position it takes must fit the context (prompt + maxNewTokens + 1).
   */
  endOfTurnToken?: number;
  /** Report this sequence's tokens step by step (see {@link SequenceToken}) while the batch runs. */
  stream?: boolean;
  /** Rectified decoding: every step's distribution is capped by this Q head (needs a hidden-states output). */
  rectify?: RectifySpec;
}

/** Totals over a rectified sequence's steps (see @assay/contracts RectificationStats). */
export interface RectificationTotals {
  tokensCapped: number;
  massMoved: number;
  deadEndSteps: number;
}

/** One token of a streaming sequence, reported right after the step that sampled it. */
export interface SequenceToken {
  /** Row of the executor batch. */
  row: number;
  /** Position among the sequence's generated tokens (0, 1, …). */
  index: number;
  id: number;
  /** As in {@link GeneratedSequence.tokenTexts}: the texts of a sequence's tokens add up to its untrimmed text. */
  text: string;
  logprob: number;
  samplingLogprob: number;
}

export interface GeneratedSequence {
  tokenIds: Int32Array;
  /** Per token: log-softmax of the raw logits (temperature 1). */
  logprobs: Float64Array;
  /** Per token: log-probability under the distribution sampled from (0 for greedy). */
  samplingLogprobs: Float64Array;
  /** Per token text; their concatenation is the untrimmed text (stop string included). */
  tokenTexts: string[];
  /** Generated text, cut before the stop string when one matched; EOS contributes no text. */
  text: string;
  finishReason: FinishReason;
  stopString?: string;
  /** [tokens, hiddenSize]: row i is the final hidden state at generated token i's position. */
  hiddenStates?: Float32Array;
  /**
   * With spec.endOfTurnToken: [hiddenSize], the final-norm hidden state at the end-of-turn token placed after the
   * completion's own tokens: the sampled tokens minus the final EOS token when finishReason is 'eos' (EOS adds no
   * text), all of them otherwise (a stop string's tokens included). When the EOS sampled was the end-of-turn token
   * itself, this is that token's own state. What a reward head reads (spec dph.md §3: one extra cached step per
   * sequence, no second pass). Absent for cancelled sequences, and when returnHiddenStates made the loop feed an
   * EOS token other than the end-of-turn token (the cache then holds that EOS, not the end-of-turn).
   */
  endOfTurnState?: Float32Array;
  /** Rectified sequences: the water-filling's diagnostics summed over the steps. */
  rectification?: RectificationTotals;
}

export interface ScoreSequenceSpec {
  /** The whole sequence: BOS + context + continuation tokens. */
  ids: Int32Array;
  /** Index of the first scored token (≥ 1: every scored token needs a token before it). */
  targetStart: number;
}

export interface ScoredSequence {
  /** log p(ids[t] | ids[< t]) for t = targetStart … end. */
  logprobs: Float64Array;
  /** Whether every scored token was the argmax (the continuation is what greedy decoding would produce). */
  greedy: boolean;
}

export type Pooling = 'last' | 'mean' | 'tokens';

export interface PoolSequenceSpec {
  ids: Int32Array;
  /** First position included by 'mean' and 'tokens' (skips BOS). */
  poolStart: number;
  pooling: Pooling;
}

export interface PooledSequence {
  /** [rows, hiddenSize]: one row for 'last' and 'mean', one per pooled token for 'tokens'. */
  vectors: Float32Array;
  rows: number;
}

export interface ClassifySequenceSpec {
  /** Token ids, already truncated to the classifier's max_length (may be empty: the row pools to zero). */
  ids: Int32Array;
}

export interface ClassifiedSequence {
  /** Softmax over the labels, in config.json's label order. */
  probabilities: Float64Array;
}

/** A model as the batch loops need it: runner, session and names, shape and tokenizer. */
export interface RunnableModel {
  runner: ModelRunner;
  backend: InferenceBackend;
  io: ModelIo;
  shape: ModelShape;
  tokenizer: TextTokenizer;
}
