import { Injectable } from '@nestjs/common';
import { CertifyBenchRequest, JobAccepted } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { EvaluationDataStore } from './evaluation-data.store';
import { ModelFactsService } from './model-facts.service';

/** Queues certified benchmarks as durable jobs (BenchmarkJob runs them), after checking that their models and data exist. */
@Injectable()
export class BenchmarkService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly data: EvaluationDataStore,
    private readonly facts: ModelFactsService,
  ) {}

  async submit(request: CertifyBenchRequest): Promise<JobAccepted> {
    const keys = [request.data, ...(request.outOfDomain ? [request.outOfDomain.key] : [])];
    await Promise.all([this.facts.get(request.model), this.facts.get(request.guide), this.data.assertExists(keys)]);
    const { created: _created, ...accepted } = await this.jobs.accept('certifier.benchmark', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/benchmarks/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('certifier.benchmark', id);
  }
}
