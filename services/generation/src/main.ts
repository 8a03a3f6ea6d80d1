import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { GenerationModule } from './generation.module';

void bootstrapService(GenerationModule, 'generation');
