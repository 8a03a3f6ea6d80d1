import { Module } from '@nestjs/common';
import { JobHostModule, ModelHostModule, PlatformModule, MetricFactory, TextClassifierClient } from '@assay/platform';
import { AuditController } from './audit.controller';
import { AuditJob } from './audit.job';
import { AuditService } from './audit.service';
import { AuditStore } from './audit.store';

@Module({
  imports: [PlatformModule.forRoot({ service: 'auditor', requires: ['generation'] }), ModelHostModule, JobHostModule.forRoot()],
  controllers: [AuditController],
  providers: [AuditService, AuditJob, AuditStore, MetricFactory, TextClassifierClient],
})
export class AuditorModule {}
