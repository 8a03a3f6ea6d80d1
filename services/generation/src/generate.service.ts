import { Inject, Injectable } from '@nestjs/common';
import { GenerateRequest, GenerateResponse, StreamTokenEvent } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, checkGenerateCaps, engineGenerateRequest, generateResponse, HostedModel, MetricsService, ModelHostService, scoreCompletionsWith } from '@assay/platform';
import { GenerateResult, StreamedToken } from '@assay/runtime';
import { ATTR, GEN_AI_PROVIDER, withSpan } from '@assay/telemetry';

/**
 * Sampling from decoder LMs through the shared runtime; every token comes with its log-probs, and with `scoreWith`
 * also with a second model's (the certifier's guide G), scored here so that a certification is one round trip.
 */
@Injectable()
export class GenerateService {
  constructor(
    private readonly models: ModelHostService,
    private readonly metrics: MetricsService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  generate(request: GenerateRequest): Promise<GenerateResponse> {
    return this.run(request, (model) => this.models.engine.generate(engineGenerateRequest(model, request)));
  }

  /**
   * `generate`, calling `onToken` for each token as soon as its decoding step is done. Resolves with the
   * same response `generate` gives for the same seed; `signal` (client gone) stops the listener and the
   * request's sequences, and rejects.
   */
  generateStream(request: GenerateRequest, onToken: (token: StreamTokenEvent) => void, signal?: AbortSignal): Promise<GenerateResponse> {
    return this.run(request, (model) =>
      this.models.engine.generateStream(engineGenerateRequest(model, request), (token: StreamedToken) => onToken(token), { signal }),
    );
  }

  private async run(request: GenerateRequest, generate: (model: HostedModel) => Promise<GenerateResult>): Promise<GenerateResponse> {
    checkGenerateCaps(this.config, request);
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
      // The scorer loads (or resolves) while L generates.
      const scorer = request.scoreWith === undefined ? undefined : this.models.acquire(request.scoreWith);
      scorer?.catch(() => undefined);
      const model = await this.models.acquire(request.model, { variant: request.variant });
      const result = await generate(model);
      const scoredBy = scorer ? await scorer : undefined;
      const scored = scoredBy
        ? await withSpan(`score ${scoredBy.key}`, { attributes: { [ATTR.genAiOperation]: 'score', [ATTR.genAiProviderName]: GEN_AI_PROVIDER, [ATTR.genAiRequestModel]: request.scoreWith } }, async (scoring) => {
            const scores = await scoreCompletionsWith(this.models.engine, model, scoredBy, result);
            scoring.setAttributes({ [ATTR.genAiResponseModel]: scoredBy.key, [ATTR.genAiInputTokens]: scores.inputTokens, 'assay.tokenizers_match': scores.scorer.tokenizersMatch });
            return scores;
          })
        : undefined;
      span.setAttributes({
        [ATTR.genAiResponseModel]: model.key,
        [ATTR.genAiInputTokens]: result.usage.inputTokens,
        [ATTR.genAiOutputTokens]: result.usage.outputTokens,
        [ATTR.genAiSeed]: result.seed,
        [ATTR.genAiFinishReasons]: [...new Set(result.completions.map((c) => c.finishReason))],
      });
      this.metrics.tokens.inc({ model: model.key, direction: 'input' }, result.usage.inputTokens);
      this.metrics.tokens.inc({ model: model.key, direction: 'output' }, result.usage.outputTokens);
      if (scoredBy && scored) this.metrics.tokens.inc({ model: scoredBy.key, direction: 'input' }, scored.inputTokens);
      return generateResponse(model, result, scored);
    });
  }
}
