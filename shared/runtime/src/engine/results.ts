import { IncrementalDetokenizer } from '../decoding/incremental-detokenizer';
import { TextTokenizer } from '../model/text-tokenizer';
import { GeneratedSequence, ScoredSequence } from '../model-runner/batch-types';
import { ClassifierHead } from '../model-runner/model-runner';
import { Completion, ScoreItemResult } from './engine-client';
import { PreparedGenerateSequence, PreparedScoreItem } from './request-preparation';

/** Executor outputs (typed arrays) → the protocol's result objects. */

export function toCompletion(prepared: PreparedGenerateSequence, generated: GeneratedSequence, hiddenSize: number): Completion {
  const tokens = Array.from(generated.tokenIds, (id, i) => ({
    id,
    text: generated.tokenTexts[i],
    logprob: generated.logprobs[i],
    samplingLogprob: generated.samplingLogprobs[i],
  }));
  const completion: Completion = {
    promptIndex: prepared.promptIndex,
    sampleIndex: prepared.sampleIndex,
    text: generated.text,
    tokens,
    finishReason: generated.finishReason,
    promptTokens: prepared.promptIds.length,
  };
  if (generated.stopString !== undefined) completion.stopString = generated.stopString;
  if (generated.rectification) completion.rectification = generated.rectification;
  if (generated.hiddenStates) {
    const all = generated.hiddenStates;
    completion.hiddenStates = tokens.map((_, i) => all.subarray(i * hiddenSize, (i + 1) * hiddenSize));
  }
  if (generated.endOfTurnState) completion.endOfTurnState = generated.endOfTurnState;
  return completion;
}

/** Token texts the way generation reports them: incremental decoding, so multi-byte characters stay whole. */
export function tokenTexts(tokenizer: TextTokenizer, ids: readonly number[]): string[] {
  const detokenizer = new IncrementalDetokenizer((chunk) => tokenizer.decode(chunk));
  const texts = ids.map((id) => detokenizer.push(id));
  const rest = detokenizer.flush();
  if (rest && texts.length > 0) texts[texts.length - 1] += rest;
  return texts;
}

export function toScoreResult(prepared: PreparedScoreItem, scored: ScoredSequence, tokenizer: TextTokenizer): ScoreItemResult {
  const ids = prepared.ids.slice(prepared.targetStart);
  const texts = tokenTexts(tokenizer, ids);
  let sum = 0;
  for (const lp of scored.logprobs) sum += lp;
  return {
    tokens: ids.map((id, i) => ({ id, text: texts[i], logprob: scored.logprobs[i] })),
    sumLogprob: sum,
    numTokens: ids.length,
    isGreedy: scored.greedy,
    contextTokens: prepared.contextTokens,
    truncatedContextTokens: prepared.truncatedContextTokens,
  };
}


/** The positive label when P(positive) ≥ threshold, else the most probable other label (ties: lowest index). */
export function classifierLabel(probabilities: ArrayLike<number>, head: ClassifierHead, threshold: number): string {
  if (probabilities[head.positiveIndex] >= threshold) return head.positiveLabel;
  let best = -1;
  for (let i = 0; i < head.labels.length; i++) {
    if (i !== head.positiveIndex && (best < 0 || probabilities[i] > probabilities[best])) best = i;
  }
  return head.labels[best];
}
