import { AssayError, GenerateRequest, GenerateResponse } from '@assay/contracts';
import { GenerateRequest as EngineGenerateRequest, GenerateResult } from '@assay/runtime';
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

export function generateResponse(model: HostedModel, result: GenerateResult): GenerateResponse {
  return {
    model: model.name,
    version: model.version,
    usage: result.usage,
    ...(result.renderedPrompts ? { renderedPrompts: result.renderedPrompts } : {}),
    completions: result.completions.map((c) => ({
      promptIndex: c.promptIndex,
      sampleIndex: c.sampleIndex,
      text: c.text,
      tokens: c.tokens,
      finishReason: c.finishReason,
      ...(c.hiddenStates ? { hiddenStates: c.hiddenStates.map((row) => Array.from(row)) } : {}),
      ...(c.endOfTurnState ? { endOfTurnState: Array.from(c.endOfTurnState) } : {}),
    })),
  };
}
