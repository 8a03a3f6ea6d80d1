import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { CertifierModule } from './certifier.module';

void bootstrapService(CertifierModule, 'certifier');
