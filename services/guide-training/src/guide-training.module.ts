import { Module } from '@nestjs/common';
import { JobHostModule, PlatformModule } from '@assay/platform';
import { GuideTrainingController } from './guide-training.controller';
import { GuideTrainingJob } from './guide-training.job';
import { GuideTrainingService } from './guide-training.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'guide-training' }), JobHostModule.forRoot()],
  controllers: [GuideTrainingController],
  providers: [GuideTrainingService, GuideTrainingJob],
})
export class GuideTrainingModule {}
