import { ConfidenceResponse, SubjectRequest } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { CallOptions } from './generation.client';
import { modelServiceError } from './model-service-errors';

export type ConfidenceRequestInput = SubjectRequest<'assay.calibrator.confidence'>;

/** The calibrator over NATS (`assay.calibrator.confidence`): calibrated P(correct) per answer, typed by the registry. */
export class CalibratorClient {
  constructor(private readonly rpc: RpcClient) {}

  async confidence(request: ConfidenceRequestInput, options: CallOptions = {}): Promise<ConfidenceResponse> {
    try {
      return await this.rpc.call('assay.calibrator.confidence', request, options);
    } catch (error) {
      throw modelServiceError('calibrator', request.calibrator, error);
    }
  }
}
