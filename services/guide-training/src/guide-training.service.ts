import { Injectable } from '@nestjs/common';
import { ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayError, GuideTrainRequest, JobAccepted } from '@assay/contracts';
import { WEIGHTS_FILE } from '@assay/forge';
import { AssayJobsClient } from '@assay/messaging';

/** Accepts guide-training requests as durable jobs and reports on them; the training runs in GuideTrainingJob. */
@Injectable()
export class GuideTrainingService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly store: ObjectStore,
    private readonly registry: ModelRegistry,
  ) {}

  /** Checks what a worker would only find out later (missing data or models), then queues the job. */
  async submit(request: GuideTrainRequest): Promise<JobAccepted> {
    if (!(await this.store.exists(request.data))) throw AssayError.notFound(`no object "${request.data}" in the object store (upload the data first)`, { key: request.data });
    if (request.baseModel) {
      const base = await this.registry.resolveModel(request.baseModel);
      if (!this.registry.hasFile(base, WEIGHTS_FILE)) {
        throw AssayError.badRequest(`${request.baseModel} has no ${WEIGHTS_FILE}: only guides trained by this service can be fine-tuned`);
      }
    } else if (request.tokenizer !== 'train') {
      await this.registry.resolveRef(request.tokenizer);
    }
    const { created: _created, ...accepted } = await this.jobs.accept('guide-training.train', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/guides/jobs/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('guide-training.train', id);
  }
}
