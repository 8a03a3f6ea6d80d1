import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { RectifierModule } from './rectifier.module';

void bootstrapService(RectifierModule, 'rectifier');
