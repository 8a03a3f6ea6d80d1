import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { AuditorModule } from './auditor.module';

void bootstrapService(AuditorModule, 'auditor');
