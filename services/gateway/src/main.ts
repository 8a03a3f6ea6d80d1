import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { GatewayModule } from './gateway.module';

void bootstrapService(GatewayModule, 'gateway');
