import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { GuideTrainingModule } from './guide-training.module';

void bootstrapService(GuideTrainingModule, 'guide-training');
