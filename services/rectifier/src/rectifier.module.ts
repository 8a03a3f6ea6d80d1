import { Module } from '@nestjs/common';
import { JobHostModule, MetricFactory, ModelHostModule, PlatformModule, TextClassifierClient } from '@assay/platform';
import { EvaluateJob } from './evaluate.job';
import { EvaluateService } from './evaluate.service';
import { QHeadStore } from './q-head.store';
import { RectifierController } from './rectifier.controller';
import { RectifyService } from './rectify.service';
import { TrainJob } from './train.job';
import { TrainService } from './train.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'rectifier' }), ModelHostModule, JobHostModule.forRoot()],
  controllers: [RectifierController],
  providers: [RectifyService, TrainService, TrainJob, EvaluateService, EvaluateJob, QHeadStore, MetricFactory, TextClassifierClient],
})
export class RectifierModule {}
