import { Module } from '@nestjs/common';
import { JOB_QUEUES } from '@assay/contracts';
import { JobHostModule, PlatformModule } from '@assay/platform';
import { BenchmarkJob } from './benchmark.job';
import { CertifyController } from './certify.controller';
import { CertifyService } from './certify.service';
import { EvaluateJob } from './evaluate.job';
import { EvaluationData } from './evaluation-data';
import { EvaluationJobsService } from './evaluation-jobs.service';
import { EvaluationsController } from './evaluations.controller';
import { ItemScorer } from './item-scorer';
import { ModelFactsService } from './model-facts.service';
import { ModelPairService } from './model-pair.service';
import { ReportStore } from './report-store';
import { ReportsController } from './reports.controller';

@Module({
  imports: [PlatformModule.forRoot({ service: 'certifier', requires: ['generation', 'likelihood'] }), JobHostModule.forRoot({ queues: [JOB_QUEUES.certifierEvaluate, JOB_QUEUES.certifierBenchmark] })],
  controllers: [CertifyController, EvaluationsController, ReportsController],
  providers: [CertifyService, ModelPairService, ModelFactsService, ItemScorer, EvaluationData, EvaluationJobsService, EvaluateJob, BenchmarkJob, ReportStore],
})
export class CertifierModule {}
