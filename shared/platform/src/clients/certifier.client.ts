import { CertifyResponse, SubjectRequest } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { CallOptions } from './generation.client';
import { modelServiceError } from './model-service-errors';

export type CertifyRequestInput = SubjectRequest<'assay.certifier.certify'>;

/**
 * The certifier over NATS (`assay.certifier.certify`), typed and validated by the contract registry, with the one
 * error mapping of the model services (an unknown model or guide stays NOT_FOUND, a refused request BAD_REQUEST).
 */
export class CertifierClient {
  constructor(private readonly rpc: RpcClient) {}

  async certify(request: CertifyRequestInput, options: CallOptions = {}): Promise<CertifyResponse> {
    try {
      return await this.rpc.call('assay.certifier.certify', request, options);
    } catch (error) {
      throw modelServiceError('certifier', request.model, error);
    }
  }
}
