import { Module } from '@nestjs/common';
import { JOB_QUEUES } from '@assay/contracts';
import { JobHostModule, ModelHostModule, PlatformModule } from '@assay/platform';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditJobService } from './audit-job.service';
import { AuditStore } from './audit-store';
import { AuditsController } from './audits.controller';
import { AuditsService } from './audits.service';
import { GenerationClient } from './generation.client';
import { MetricFactory } from './metrics/metric-factory';
import { TextClassifierClient } from './metrics/text-classifier.client';

@Module({
  imports: [PlatformModule.forRoot({ service: 'auditor', requires: ['generation'] }), ModelHostModule, JobHostModule.forRoot({ queues: [JOB_QUEUES.auditorAudit] })],
  controllers: [AuditsController],
  providers: [AuditsService, AuditJobService, AuditCheckpoints, AuditStore, GenerationClient, MetricFactory, TextClassifierClient],
})
export class AuditorModule {}
