import { RewardScoreInput, RewardScoreResponse } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { CallOptions } from './generation.client';
import { modelServiceError } from './model-service-errors';

/** The reward-head service over NATS (`assay.reward.score`): one reward per candidate answer, typed by the registry. */
export class RewardHeadClient {
  constructor(private readonly rpc: RpcClient) {}

  async score(request: RewardScoreInput, options: CallOptions = {}): Promise<RewardScoreResponse> {
    try {
      return await this.rpc.call('assay.reward.score', request, options);
    } catch (error) {
      throw modelServiceError('reward-head', request.head, error);
    }
  }
}
