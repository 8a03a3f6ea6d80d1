import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { LikelihoodModule } from './likelihood.module';

void bootstrapService(LikelihoodModule, 'likelihood');
