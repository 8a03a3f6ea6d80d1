import { Module } from '@nestjs/common';
import { JobHostModule, ModelHostModule, PlatformModule } from '@assay/platform';
import { CalibratorStore } from './calibrator.store';
import { ConfidenceController } from './confidence.controller';
import { ConfidenceService } from './confidence.service';
import { DatasetController } from './dataset.controller';
import { DatasetJob } from './dataset.job';
import { DatasetService } from './dataset.service';
import { DatasetStore } from './dataset.store';
import { EvaluationJob } from './evaluation.job';
import { FitController } from './fit.controller';
import { FitJob } from './fit.job';
import { FitService } from './fit.service';
import { MethodScorer } from './method-scorer.service';
import { ReportController } from './report.controller';
import { CalibrationReportStore } from './report.store';

@Module({
  imports: [PlatformModule.forRoot({ service: 'calibrator' }), ModelHostModule, JobHostModule.forRoot()],
  controllers: [ConfidenceController, DatasetController, FitController, ReportController],
  providers: [ConfidenceService, CalibratorStore, MethodScorer, DatasetService, DatasetJob, DatasetStore, FitService, FitJob, EvaluationJob, CalibrationReportStore],
})
export class CalibratorModule {}
