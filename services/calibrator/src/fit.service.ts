import { Injectable } from '@nestjs/common';
import { AssayError, CalibrationEvalRequest, FitRequest, JobAccepted } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { CalibratorStore } from './calibrator.store';
import { DatasetStore } from './dataset.store';

/** Queues fits and evaluations after checking that their dataset or calibrator exists. */
@Injectable()
export class FitService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly datasets: DatasetStore,
    private readonly calibrators: CalibratorStore,
  ) {}

  async submitFit(request: FitRequest): Promise<JobAccepted> {
    const manifest = await this.datasets.manifest(request.dataset);
    if (request.methods.includes('logits') && manifest.format !== 'choice') throw AssayError.badRequest('the logits baseline needs a multiple-choice dataset');
    const { created: _created, ...accepted } = await this.jobs.accept('calibrator.fit', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/calibration/fits/${id}` });
    return accepted;
  }

  fitStatus(id: string) {
    return this.jobs.statusIn('calibrator.fit', id);
  }

  async submitEvaluation(request: CalibrationEvalRequest): Promise<JobAccepted> {
    await this.calibrators.load(request.calibrator);
    for (const id of request.datasets ?? []) await this.datasets.manifest(id);
    const { created: _created, ...accepted } = await this.jobs.accept('calibrator.evaluate', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/calibration/evaluations/${id}` });
    return accepted;
  }

  evaluationStatus(id: string) {
    return this.jobs.statusIn('calibrator.evaluate', id);
  }
}
