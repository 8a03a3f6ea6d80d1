import { RectifiedGenerateInput, RectifiedGenerateResponse } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { CallOptions } from './generation.client';
import { modelServiceError } from './model-service-errors';

/** The rectifier over NATS (`assay.rectifier.generate`): generation from L with dead-end caps, typed by the registry. */
export class RectifierClient {
  constructor(private readonly rpc: RpcClient) {}

  async generate(request: RectifiedGenerateInput, options: CallOptions = {}): Promise<RectifiedGenerateResponse> {
    try {
      return await this.rpc.call('assay.rectifier.generate', request, options);
    } catch (error) {
      throw modelServiceError('rectifier', request.rectifier, error);
    }
  }
}
