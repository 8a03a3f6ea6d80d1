import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, GuideTrainRequest, JOB_QUEUES, JobAccepted, JobIdSchema, JobStatusResponse, JobStatusResponseSchema, parseOrThrow } from '@assay/contracts';
import { WEIGHTS_FILE } from '@assay/forge';
import { JobsClient } from '@assay/messaging';
import { ModelFiles } from './model-files';

/** Accepts guide-training requests as durable jobs and reports on them; the training runs in GuideTrainingJob. */
@Injectable()
export class GuideTrainingService {
  constructor(
    private readonly jobs: JobsClient,
    private readonly store: ObjectStore,
    private readonly files: ModelFiles,
  ) {}

  /** Checks what a worker would only find out later (missing data or models), then queues the job. */
  async submit(request: GuideTrainRequest): Promise<JobAccepted> {
    if (!(await this.store.exists(request.data))) throw AssayError.notFound(`no object "${request.data}" in the object store (upload the data first)`, { key: request.data });
    if (request.baseModel) {
      const base = await this.files.resolve(request.baseModel);
      if (!this.files.has(base, WEIGHTS_FILE)) {
        throw AssayError.badRequest(`${request.baseModel} has no ${WEIGHTS_FILE}: only guides trained by this service can be fine-tuned`);
      }
    } else if (request.tokenizer !== 'train') {
      await this.files.resolve(request.tokenizer);
    }
    const { jobId } = await this.jobs.submit(JOB_QUEUES.guideTrain, request, { clientKey: request.clientKey });
    const { status } = await this.jobs.status(jobId);
    return { jobId, status, statusUrl: `/v1/guides/jobs/${jobId}` };
  }

  async status(id: string): Promise<JobStatusResponse> {
    const jobId = parseOrThrow(JobIdSchema, id, 'job id');
    const record = await this.jobs.status(jobId);
    if (record.queue !== JOB_QUEUES.guideTrain) throw AssayError.notFound(`no guide-training job ${jobId}`);
    return JobStatusResponseSchema.parse(record);
  }
}
