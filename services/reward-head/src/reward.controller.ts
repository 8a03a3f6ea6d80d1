import { Body, Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { BestOfNRequest, RewardScoreRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { RewardService } from './reward.service';

@Controller()
export class RewardController {
  constructor(private readonly rewards: RewardService) {}

  @AnswersSubject('assay.reward.score')
  scoreMessage(@Payload() request: RewardScoreRequest) {
    return this.rewards.score(request);
  }

  @AnswersSubject('assay.reward.rerank')
  rerankMessage(@Payload() request: RewardScoreRequest) {
    return this.rewards.rerank(request);
  }

  @AnswersSubject('assay.reward.best_of_n')
  bestOfNMessage(@Payload() request: BestOfNRequest) {
    return this.rewards.bestOfN(request);
  }

  @ServesRoute('scoreRewards')
  score(@Body() request: RewardScoreRequest) {
    return this.rewards.score(request);
  }

  @ServesRoute('rerankCandidates')
  rerank(@Body() request: RewardScoreRequest) {
    return this.rewards.rerank(request);
  }

  @ServesRoute('bestOfN')
  bestOfN(@Body() request: BestOfNRequest) {
    return this.rewards.bestOfN(request);
  }
}
