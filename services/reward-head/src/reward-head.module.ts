import { Module } from '@nestjs/common';
import { JobHostModule, ModelHostModule, PlatformModule } from '@assay/platform';
import { EndOfTurnStates } from './end-of-turn-states.service';
import { EvaluationJob } from './evaluation.job';
import { HeadStore } from './head.store';
import { RewardReportStore } from './report.store';
import { RewardDataStore } from './reward-data.store';
import { RewardController } from './reward.controller';
import { RewardService } from './reward.service';
import { TrainingController } from './training.controller';
import { TrainingJob } from './training.job';
import { TrainingService } from './training.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'reward-head', requires: ['generation'] }), ModelHostModule, JobHostModule.forRoot()],
  controllers: [RewardController, TrainingController],
  providers: [RewardService, EndOfTurnStates, HeadStore, RewardDataStore, RewardReportStore, TrainingService, TrainingJob, EvaluationJob],
})
export class RewardHeadModule {}
