import { Inject, Injectable } from '@nestjs/common';
import { RectifiedGenerateRequest, RectifiedGenerateResponse, StreamTokenEvent } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, checkGenerateCaps, engineGenerateRequest, generateResponse, MetricsService, ModelHostService } from '@assay/platform';
import { GenerateRequest as EngineGenerateRequest, GenerateResult } from '@assay/runtime';
import { ATTR, GEN_AI_PROVIDER, withSpan } from '@assay/telemetry';
import { QHeadStore } from './q-head.store';

/**
 * Rectified sampling: the generation service's request, with the Q_D artifact's head capping every decoding step
 * inside the runtime's decode loop (shared/runtime sampling/rectified-sampler.ts). Completions carry the
 * water-filling's diagnostics; samplingLogprob is the rectified distribution's.
 */
@Injectable()
export class RectifyService {
  constructor(
    private readonly models: ModelHostService,
    private readonly qheads: QHeadStore,
    private readonly metrics: MetricsService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  generate(request: RectifiedGenerateRequest): Promise<RectifiedGenerateResponse> {
    return this.run(request, (engineRequest) => this.models.engine.generate(engineRequest));
  }

  generateStream(request: RectifiedGenerateRequest, onToken: (token: StreamTokenEvent) => void, signal?: AbortSignal): Promise<RectifiedGenerateResponse> {
    return this.run(request, (engineRequest) => this.models.engine.generateStream(engineRequest, (token) => onToken(token), { signal }));
  }

  private async run(request: RectifiedGenerateRequest, generate: (request: EngineGenerateRequest) => Promise<GenerateResult>): Promise<RectifiedGenerateResponse> {
    checkGenerateCaps(this.config, request);
    const attributes = {
      [ATTR.genAiOperation]: 'text_completion',
      [ATTR.genAiProviderName]: GEN_AI_PROVIDER,
      [ATTR.genAiRequestModel]: request.model,
      [ATTR.genAiMaxTokens]: request.maxNewTokens,
      [ATTR.genAiTemperature]: request.temperature,
      'assay.rectifier.artifact': request.rectifier,
    };
    return withSpan(`text_completion ${request.model} rectified`, { attributes }, async (span) => {
      const [q, model] = await Promise.all([this.qheads.load(request.rectifier), this.models.acquire(request.model, { variant: request.variant })]);
      this.qheads.checkBase(q, model);
      const epsilon = request.epsilon ?? q.config.epsilon;
      const capMode = request.capMode ?? q.config.cap_mode;
      const result = await generate({
        ...engineGenerateRequest(model, request),
        rectify: { head: { inDim: q.layout.inDim, hidden: q.layout.hidden, vocab: q.layout.vocab, params: q.params }, epsilon, mode: capMode, pMin: q.config.p_min },
      });
      const deadEnds = result.completions.reduce((s, c) => s + (c.rectification?.deadEndSteps ?? 0), 0);
      span.setAttributes({
        [ATTR.genAiResponseModel]: model.key,
        [ATTR.genAiInputTokens]: result.usage.inputTokens,
        [ATTR.genAiOutputTokens]: result.usage.outputTokens,
        'assay.rectifier.epsilon': epsilon,
        'assay.rectifier.dead_end_steps': deadEnds,
      });
      this.metrics.tokens.inc({ model: model.key, direction: 'input' }, result.usage.inputTokens);
      this.metrics.tokens.inc({ model: model.key, direction: 'output' }, result.usage.outputTokens);
      const plain = generateResponse(model, result);
      return {
        ...plain,
        rectifier: q.ref,
        epsilon,
        capMode,
        completions: plain.completions.map((c, i) => ({ ...c, rectification: result.completions[i].rectification ?? { tokensCapped: 0, massMoved: 0, deadEndSteps: 0 } })),
      };
    });
  }
}
