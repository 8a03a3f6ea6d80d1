import { Inject, Injectable } from '@nestjs/common';
import { ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayError, JobAccepted, RectifierTrainRequest } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG, loadPromptSet, MetricFactory } from '@assay/platform';

/** Accepts Q_D training requests as durable jobs (the work is in TrainJob). */
@Injectable()
export class TrainService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly registry: ModelRegistry,
    private readonly store: ObjectStore,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  /** Checks what a worker would only find out later (unknown L or classifier, empty prompt set), then queues the job. */
  async submit(request: RectifierTrainRequest): Promise<JobAccepted> {
    if (request.maxNewTokens > this.config.runtime.maxNewTokens) {
      throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${this.config.runtime.maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`);
    }
    await Promise.all([this.registry.resolveRef(request.model), this.metrics.check(request.metric)]);
    const prompts = await loadPromptSet(this.store, request.prompts);
    if (prompts.length === 0) throw AssayError.badRequest('the prompt set is empty');
    const { created: _created, ...accepted } = await this.jobs.accept('rectifier.train', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/rectifiers/jobs/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('rectifier.train', id);
  }
}
