import '@assay/telemetry/auto-start'; // first: OpenTelemetry patches http before Nest loads it
import { bootstrapService } from '@assay/platform';
import { RewardHeadModule } from './reward-head.module';

void bootstrapService(RewardHeadModule, 'reward-head');
