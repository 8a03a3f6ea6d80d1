import { Injectable } from '@nestjs/common';
import { CertifyEvalRequest, JobAccepted } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { EvaluationDataStore } from './evaluation-data.store';
import { ModelFactsService } from './model-facts.service';

/** Queues VALID evaluations as durable jobs (EvaluationJob runs them), after checking that their models and data exist. */
@Injectable()
export class EvaluationService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly data: EvaluationDataStore,
    private readonly facts: ModelFactsService,
  ) {}

  async submit(request: CertifyEvalRequest): Promise<JobAccepted> {
    await Promise.all([this.facts.get(request.model), this.facts.get(request.guide), this.data.assertExists([request.inDomain.key, request.outOfDomain.key])]);
    const { created: _created, ...accepted } = await this.jobs.accept('certifier.evaluate', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/evaluations/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('certifier.evaluate', id);
  }
}
