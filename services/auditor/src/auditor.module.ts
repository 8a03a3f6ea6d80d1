import { Module } from '@nestjs/common';
import { JobHostModule, ModelHostModule, PlatformModule } from '@assay/platform';
import { AuditController } from './audit.controller';
import { AuditJob } from './audit.job';
import { AuditService } from './audit.service';
import { AuditStore } from './audit.store';
import { MetricFactory } from './metrics/metric-factory';
import { TextClassifierClient } from './metrics/text-classifier.client';

@Module({
  imports: [PlatformModule.forRoot({ service: 'auditor', requires: ['generation'] }), ModelHostModule, JobHostModule.forRoot()],
  controllers: [AuditController],
  providers: [AuditService, AuditJob, AuditStore, MetricFactory, TextClassifierClient],
})
export class AuditorModule {}
