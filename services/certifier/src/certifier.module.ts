import { Module } from '@nestjs/common';
import { JobHostModule, PlatformModule } from '@assay/platform';
import { BenchmarkController } from './benchmark.controller';
import { BenchmarkJob } from './benchmark.job';
import { BenchmarkService } from './benchmark.service';
import { CertifyController } from './certify.controller';
import { CertifyService } from './certify.service';
import { CertifyStagesService } from './certify-stages.service';
import { EvaluationController } from './evaluation.controller';
import { EvaluationDataStore } from './evaluation-data.store';
import { EvaluationJob } from './evaluation.job';
import { EvaluationService } from './evaluation.service';
import { ItemScoringService } from './item-scoring.service';
import { ModelFactsService } from './model-facts.service';
import { ModelPairService } from './model-pair.service';
import { ReportController } from './report.controller';
import { ReportStore } from './report.store';

@Module({
  imports: [PlatformModule.forRoot({ service: 'certifier', requires: ['generation', 'likelihood'] }), JobHostModule.forRoot()],
  controllers: [CertifyController, EvaluationController, BenchmarkController, ReportController],
  providers: [
    CertifyService,
    CertifyStagesService,
    EvaluationService,
    EvaluationJob,
    BenchmarkService,
    BenchmarkJob,
    ItemScoringService,
    ModelFactsService,
    ModelPairService,
    EvaluationDataStore,
    ReportStore,
  ],
})
export class CertifierModule {}
