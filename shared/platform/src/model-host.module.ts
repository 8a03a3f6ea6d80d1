import { Module } from '@nestjs/common';
import { ModelHostService } from './model-host.service';

/** Import in services that run models in-process (generation, likelihood, auditor's classifier). */
@Module({ providers: [ModelHostService], exports: [ModelHostService] })
export class ModelHostModule {}
