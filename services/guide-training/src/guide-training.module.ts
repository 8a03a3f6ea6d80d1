import { Module } from '@nestjs/common';
import { JOB_QUEUES } from '@assay/contracts';
import { JobHostModule, PlatformModule } from '@assay/platform';
import { GuideTrainingJob } from './guide-training.job';
import { GuideTrainingService } from './guide-training.service';
import { GuidesController } from './guides.controller';
import { ModelFiles } from './model-files';
import { TrainingCheckpoints } from './training-checkpoints';

@Module({
  imports: [PlatformModule.forRoot({ service: 'guide-training' }), JobHostModule.forRoot({ queues: [JOB_QUEUES.guideTrain] })],
  controllers: [GuidesController],
  providers: [GuideTrainingService, GuideTrainingJob, ModelFiles, TrainingCheckpoints],
})
export class GuideTrainingModule {}
