import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { CalibratorModule } from './calibrator.module';

void bootstrapService(CalibratorModule, 'calibrator');
