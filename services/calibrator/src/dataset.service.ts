import { Injectable } from '@nestjs/common';
import { DatasetRequest, JobAccepted } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { ModelRegistry } from '@assay/artifacts';
import { DatasetStore } from './dataset.store';

/** Queues labelled-dataset jobs after checking that L (and a user file) exist. */
@Injectable()
export class DatasetService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly registry: ModelRegistry,
    private readonly datasets: DatasetStore,
  ) {}

  async submit(request: DatasetRequest): Promise<JobAccepted> {
    await this.registry.resolveRef(request.model);
    if (request.source.kind === 'jsonl') await this.datasets.readText(request.source.key).then(() => undefined);
    const { created: _created, ...accepted } = await this.jobs.accept('calibrator.dataset', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/calibration/datasets/${id}` });
    return accepted;
  }

  status(id: string) {
    return this.jobs.statusIn('calibrator.dataset', id);
  }
}
