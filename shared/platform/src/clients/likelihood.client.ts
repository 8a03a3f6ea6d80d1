import { ScoreResponse, SubjectRequest } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { CallOptions } from './generation.client';
import { modelServiceError } from './model-service-errors';

export type ScoreItemInput = SubjectRequest<'assay.likelihood.score'>['items'][number];

/**
 * The likelihood service over NATS (`assay.likelihood.score`), typed and validated by the contract registry, with one
 * error mapping. Items give a context and either a continuation text or token ids of the model's tokenizer
 * (`continuationIds`: rescoring exactly the tokens another model sampled, as VALID's G does with L's tokens).
 */
export class LikelihoodClient {
  constructor(private readonly rpc: RpcClient) {}

  async score(model: string, items: readonly ScoreItemInput[], options: CallOptions = {}): Promise<ScoreResponse> {
    try {
      return await this.rpc.call('assay.likelihood.score', { model, items: [...items] }, { retryUnavailable: 1, ...options });
    } catch (error) {
      throw modelServiceError('likelihood', model, error);
    }
  }
}
