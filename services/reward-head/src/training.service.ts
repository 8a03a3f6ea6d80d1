import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { JobAccepted, RewardEvalRequest, RewardTrainRequest } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { EndOfTurnStates } from './end-of-turn-states.service';
import { RewardDataStore } from './reward-data.store';
import { RewardService } from './reward.service';

/** Queues head training and evaluation as durable jobs, after checking that their model, head and data exist. */
@Injectable()
export class TrainingService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly registry: ModelRegistry,
    private readonly data: RewardDataStore,
    private readonly states: EndOfTurnStates,
    private readonly rewards: RewardService,
  ) {}

  async train(request: RewardTrainRequest): Promise<JobAccepted> {
    const { ref } = await this.registry.resolveRef(request.model);
    await this.states.model(ref);
    await this.data.assertExists([request.data, request.validation]);
    const { created: _created, ...accepted } = await this.jobs.accept('reward-head.train', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/reward-heads/jobs/${id}` });
    return accepted;
  }

  trainingStatus(id: string) {
    return this.jobs.statusIn('reward-head.train', id);
  }

  async evaluate(request: RewardEvalRequest): Promise<JobAccepted> {
    await this.rewards.headOnModel(request.head);
    await this.data.assertExists([request.pairs, request.multipleChoice, request.bestOfN?.prompts]);
    const { created: _created, ...accepted } = await this.jobs.accept('reward-head.evaluate', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/reward-evaluations/${id}` });
    return accepted;
  }

  evaluationStatus(id: string) {
    return this.jobs.statusIn('reward-head.evaluate', id);
  }
}
