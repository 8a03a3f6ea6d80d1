import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import {
  AssayError,
  CertifyBenchRequest,
  CertifyEvalRequest,
  JOB_QUEUES,
  JobAccepted,
  JobIdSchema,
  JobStatusResponse,
  JobStatusResponseSchema,
  parseOrThrow,
} from '@assay/contracts';
import { JobsClient } from '@assay/messaging';
import { ModelFactsService } from './model-facts.service';

const ROUTES: Record<string, string> = { [JOB_QUEUES.certifierEvaluate]: 'evaluations', [JOB_QUEUES.certifierBenchmark]: 'benchmarks' };

/** Queues evaluations and benchmarks as durable jobs, after checking that their models and data exist. */
@Injectable()
export class EvaluationJobsService {
  constructor(
    private readonly jobs: JobsClient,
    private readonly store: ObjectStore,
    private readonly facts: ModelFactsService,
  ) {}

  async submitEvaluation(request: CertifyEvalRequest): Promise<JobAccepted> {
    await this.check(request.model, request.guide, [request.inDomain.key, request.outOfDomain.key]);
    return this.submit(JOB_QUEUES.certifierEvaluate, request, request.clientKey);
  }

  async submitBenchmark(request: CertifyBenchRequest): Promise<JobAccepted> {
    await this.check(request.model, request.guide, [request.data, ...(request.outOfDomain ? [request.outOfDomain.key] : [])]);
    return this.submit(JOB_QUEUES.certifierBenchmark, request, request.clientKey);
  }

  async status(queue: string, id: string): Promise<JobStatusResponse> {
    const jobId = parseOrThrow(JobIdSchema, id, 'job id');
    const record = await this.jobs.status(jobId);
    if (record.queue !== queue) throw AssayError.notFound(`no ${ROUTES[queue]} job ${jobId}`);
    return JobStatusResponseSchema.parse(record);
  }

  private async check(model: string, guide: string, keys: string[]): Promise<void> {
    await Promise.all([this.facts.get(model), this.facts.get(guide)]);
    for (const key of keys) {
      if (!(await this.store.exists(key))) throw AssayError.notFound(`no object "${key}" in the object store (upload the data first)`, { key });
    }
  }

  private async submit(queue: string, payload: unknown, clientKey: string | undefined): Promise<JobAccepted> {
    const { jobId } = await this.jobs.submit(queue, payload, { clientKey });
    const { status } = await this.jobs.status(jobId);
    return { jobId, status, statusUrl: `/v1/${ROUTES[queue]}/${jobId}` };
  }
}
