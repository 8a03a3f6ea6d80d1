import { AssayError, GenerateRequest, GenerateResponse } from '@assay/contracts';
import { Completion as EngineCompletion, EngineClient, GenerateRequest as EngineGenerateRequest, GenerateResult } from '@assay/runtime';
import type { AssayConfig } from './config';
import type { HostedModel } from './model-host.service';

/**
 * The wire generate request ↔ the runtime's, shared by the services that sample in-process (generation, rectifier),
 * so both apply the same caps and answer in the same shape.
 */

/** Conversations in a `messages` request: one, or a list of them. */
function conversations(request: GenerateRequest): number {
  const messages = request.messages ?? [];
  return messages.length > 0 && Array.isArray(messages[0]) ? messages.length : messages.length > 0 ? 1 : 0;
}

/** The configured caps (ASSAY_MAX_NEW_TOKENS, ASSAY_MAX_BATCH): BAD_REQUEST past them. */
export function checkGenerateCaps(config: AssayConfig, request: GenerateRequest): void {
  const { maxNewTokens, maxBatch } = config.runtime;
  if (request.maxNewTokens > maxNewTokens) {
    throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`);
  }
  const prompts = request.prompts.length || conversations(request);
  if (prompts * request.n > maxBatch) {
    throw AssayError.badRequest(`prompts × n = ${prompts * request.n} exceeds the batch cap of ${maxBatch} (ASSAY_MAX_BATCH)`);
  }
}

export function engineGenerateRequest(model: HostedModel, request: GenerateRequest): EngineGenerateRequest {
  return {
    model: model.key,
    ...(request.messages ? { messages: request.messages } : { prompts: request.prompts }),
    n: request.n,
    maxNewTokens: request.maxNewTokens,
    temperature: request.temperature,
    topK: request.topK,
    topP: request.topP,
    seed: request.seed,
    stop: request.stop,
    returnHiddenStates: request.returnHiddenStates,
    ...(request.endOfTurnToken !== undefined ? { endOfTurnToken: request.endOfTurnToken } : {}),
  };
}

/** A completion's tokens as a second model scores them: a final EOS dropped (it ended the text, it is not part of it). */
function scoredIds(completion: EngineCompletion): number[] {
  const ids = completion.tokens.map((t) => t.id);
  return completion.finishReason === 'eos' ? ids.slice(0, -1) : ids;
}

/** `completions[].scoredWith` of a generate request with `scoreWith`, and the response's `scoredWith`. */
export interface CompletionScores {
  scorer: { model: string; version: string; tokenizersMatch: boolean };
  scores: Array<{ logprobs: number[]; sumLogprob: number } | null>;
  /** Tokens the scorer read (BOS included). */
  inputTokens: number;
}

/**
 * `scoreWith`: the completions' tokens (a final EOS dropped) scored under `scorer` after BOS alone, by the engine's
 * own score path (`context: ''`, as the likelihood service scores it), in this process and at once (no batching
 * window). Only with equal tokenizers (the ids mean the same text); a completion the scorer cannot take (no tokens
 * left, ids outside its vocabulary, longer than its context) gets null, and its caller decides.
 */
export async function scoreCompletionsWith(engine: EngineClient, model: HostedModel, scorer: HostedModel, result: GenerateResult): Promise<CompletionScores> {
  const tokenizersMatch = model.tokenizerDigest !== undefined && model.tokenizerDigest === scorer.tokenizerDigest;
  const about = { model: scorer.name, version: scorer.version, tokenizersMatch };
  if (!tokenizersMatch) return { scorer: about, scores: result.completions.map(() => null), inputTokens: 0 };
  const { vocabSize, contextLength } = scorer.info;
  const ids = result.completions.map(scoredIds);
  const scorable = ids.map((row) => row.length > 0 && row.length + 1 <= contextLength && row.every((id) => id < vocabSize));
  const items = ids.filter((_, i) => scorable[i]).map((continuationIds) => ({ context: '', continuationIds }));
  const reply = items.length > 0 ? await engine.score({ model: scorer.key, items, immediate: true }) : undefined;
  const scored = reply?.results ?? [];
  let next = 0;
  const scores = scorable.map((ok) => {
    if (!ok) return null;
    const r = scored[next++];
    return { logprobs: r.tokens.map((t) => t.logprob), sumLogprob: r.sumLogprob };
  });
  return { scorer: about, scores, inputTokens: reply?.usage.inputTokens ?? 0 };
}

export function generateResponse(model: HostedModel, result: GenerateResult, scored?: CompletionScores): GenerateResponse {
  return {
    model: model.name,
    version: model.version,
    usage: result.usage,
    ...(result.renderedPrompts ? { renderedPrompts: result.renderedPrompts } : {}),
    ...(scored ? { scoredWith: scored.scorer } : {}),
    completions: result.completions.map((c, i) => ({
      promptIndex: c.promptIndex,
      sampleIndex: c.sampleIndex,
      text: c.text,
      tokens: c.tokens,
      finishReason: c.finishReason,
      ...(c.hiddenStates ? { hiddenStates: c.hiddenStates.map((row) => Array.from(row)) } : {}),
      ...(c.endOfTurnState ? { endOfTurnState: Array.from(c.endOfTurnState) } : {}),
      ...(scored ? { scoredWith: scored.scores[i] } : {}),
    })),
  };
}
