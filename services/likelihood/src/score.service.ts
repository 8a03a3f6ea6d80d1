import { Inject, Injectable } from '@nestjs/common';
import { AssayError, ScoreRequest, ScoreResponse } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, MetricsService, ModelHostService } from '@assay/platform';
import { ATTR, GEN_AI_PROVIDER, withSpan } from '@assay/telemetry';

/**
 * Log-probabilities of continuations given contexts. The boundary rule (context and continuation
 * tokenized separately, concatenated after BOS) is the runtime's; see ScoreRequestSchema.
 */
@Injectable()
export class ScoreService {
  constructor(
    private readonly models: ModelHostService,
    private readonly metrics: MetricsService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  async score(request: ScoreRequest): Promise<ScoreResponse> {
    if (request.items.length > this.config.runtime.maxBatch) {
      throw AssayError.badRequest(`${request.items.length} items exceed the batch cap of ${this.config.runtime.maxBatch} (ASSAY_MAX_BATCH)`);
    }
    const attributes = { [ATTR.genAiOperation]: 'score', [ATTR.genAiProviderName]: GEN_AI_PROVIDER, [ATTR.genAiRequestModel]: request.model };
    return withSpan(`score ${request.model}`, { attributes }, async (span) => {
      const model = await this.models.acquire(request.model);
      const result = await this.models.engine.score({ model: model.key, items: request.items });
      span.setAttributes({ [ATTR.genAiResponseModel]: model.key, [ATTR.genAiInputTokens]: result.usage.inputTokens, [ATTR.genAiOutputTokens]: 0 });
      this.metrics.tokens.inc({ model: model.key, direction: 'input' }, result.usage.inputTokens);
      return {
        model: model.name,
        version: model.version,
        usage: result.usage,
        results: result.results.map((r) => ({ tokens: r.tokens, sumLogprob: r.sumLogprob, numTokens: r.numTokens })),
      };
    });
  }
}
