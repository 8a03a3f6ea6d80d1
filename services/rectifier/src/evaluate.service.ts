import { Inject, Injectable } from '@nestjs/common';
import { ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayError, JobAccepted, RectifierEvaluateRequest } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG, loadPromptSet, MetricFactory } from '@assay/platform';
import { evaluationKeys } from './evaluation-report';
import { QHeadStore } from './q-head.store';

/** Accepts detoxification evaluations as durable jobs (the work is in EvaluateJob) and serves their reports. */
@Injectable()
export class EvaluateService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly registry: ModelRegistry,
    private readonly store: ObjectStore,
    private readonly qheads: QHeadStore,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  async submit(request: RectifierEvaluateRequest): Promise<JobAccepted> {
    if (request.maxNewTokens > this.config.runtime.maxNewTokens) {
      throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${this.config.runtime.maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`);
    }
    const q = await this.qheads.load(request.rectifier);
    const base = `${q.config.base.name}@${q.config.base.version}`;
    if (request.model !== undefined) {
      const resolved = await this.registry.resolveRef(request.model);
      if (resolved.ref !== base) throw AssayError.badRequest(`Q artifact ${q.ref} was trained on ${base}, not ${resolved.ref}`);
    }
    await this.metrics.check(request.metric);
    const prompts = await loadPromptSet(this.store, request.prompts);
    if (prompts.length === 0) throw AssayError.badRequest('the prompt set is empty');
    const { created: _created, ...accepted } = await this.jobs.accept('rectifier.evaluate', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/rectifiers/evaluations/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('rectifier.evaluate', id);
  }

  async html(id: string): Promise<string> {
    await this.jobs.statusIn('rectifier.evaluate', id);
    try {
      return (await this.store.getBuffer(evaluationKeys(id).html)).toString('utf8');
    } catch (error) {
      if (AssayError.from(error).code === 'NOT_FOUND') throw AssayError.notFound(`evaluation ${id} has no report yet`);
      throw error;
    }
  }
}
