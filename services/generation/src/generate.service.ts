import { Inject, Injectable } from '@nestjs/common';
import { AssayError, GenerateRequest, GenerateResponse, StreamTokenEvent } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, HostedModel, MetricsService, ModelHostService } from '@assay/platform';
import { GenerateRequest as EngineGenerateRequest, GenerateResult, StreamedToken } from '@assay/runtime';
import { ATTR, GEN_AI_PROVIDER, withSpan } from '@assay/telemetry';

/** Conversations in a `messages` request: one, or a list of them. */
function conversations(request: GenerateRequest): number {
  const messages = request.messages ?? [];
  return messages.length > 0 && Array.isArray(messages[0]) ? messages.length : messages.length > 0 ? 1 : 0;
}

/** Sampling from decoder LMs through the shared runtime; every token comes with its log-probs. */
@Injectable()
export class GenerateService {
  constructor(
    private readonly models: ModelHostService,
    private readonly metrics: MetricsService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  generate(request: GenerateRequest): Promise<GenerateResponse> {
    return this.run(request, (model) => this.models.engine.generate(this.engineRequest(model, request)));
  }

  /**
   * `generate`, calling `onToken` for each token as soon as its decoding step is done. Resolves with the
   * same response `generate` gives for the same seed; `signal` (client gone) stops the listener and the
   * request's sequences, and rejects.
   */
  generateStream(request: GenerateRequest, onToken: (token: StreamTokenEvent) => void, signal?: AbortSignal): Promise<GenerateResponse> {
    return this.run(request, (model) =>
      this.models.engine.generateStream(this.engineRequest(model, request), (token: StreamedToken) => onToken(token), { signal }),
    );
  }

  private async run(request: GenerateRequest, generate: (model: HostedModel) => Promise<GenerateResult>): Promise<GenerateResponse> {
    this.checkCaps(request);
    const attributes = {
      [ATTR.genAiOperation]: 'text_completion',
      [ATTR.genAiProviderName]: GEN_AI_PROVIDER,
      [ATTR.genAiRequestModel]: request.model,
      [ATTR.genAiMaxTokens]: request.maxNewTokens,
      [ATTR.genAiTemperature]: request.temperature,
      [ATTR.genAiTopP]: request.topP,
      [ATTR.genAiTopK]: request.topK,
    };
    return withSpan(`text_completion ${request.model}`, { attributes }, async (span) => {
      const model = await this.models.acquire(request.model, { variant: request.variant });
      const result = await generate(model);
      span.setAttributes({
        [ATTR.genAiResponseModel]: model.key,
        [ATTR.genAiInputTokens]: result.usage.inputTokens,
        [ATTR.genAiOutputTokens]: result.usage.outputTokens,
        [ATTR.genAiSeed]: result.seed,
        [ATTR.genAiFinishReasons]: [...new Set(result.completions.map((c) => c.finishReason))],
      });
      this.metrics.tokens.inc({ model: model.key, direction: 'input' }, result.usage.inputTokens);
      this.metrics.tokens.inc({ model: model.key, direction: 'output' }, result.usage.outputTokens);
      return this.toResponse(model, result);
    });
  }

  private checkCaps(request: GenerateRequest): void {
    const { maxNewTokens, maxBatch } = this.config.runtime;
    if (request.maxNewTokens > maxNewTokens) {
      throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`);
    }
    const prompts = request.prompts.length || conversations(request);
    if (prompts * request.n > maxBatch) {
      throw AssayError.badRequest(`prompts × n = ${prompts * request.n} exceeds the batch cap of ${maxBatch} (ASSAY_MAX_BATCH)`);
    }
  }

  private engineRequest(model: HostedModel, request: GenerateRequest): EngineGenerateRequest {
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
    };
  }

  private toResponse(model: HostedModel, result: GenerateResult): GenerateResponse {
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
      })),
    };
  }
}
