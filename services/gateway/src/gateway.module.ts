import { Module } from '@nestjs/common';
import { PlatformModule } from '@assay/platform';
import { CompletionsController } from './completions.controller';
import { ConsoleController } from './console.controller';
import { ConsoleService } from './console.service';
import { CompletionsService } from './completions.service';
import { OpenAiErrorFilter } from './openai-error.filter';
import { PolicyController } from './policy.controller';
import { PolicyService } from './policy.service';
import { PolicyStore } from './policy.store';
import { RecentRequests } from './recent-requests';

@Module({
  imports: [PlatformModule.forRoot({ service: 'gateway', requires: ['certifier'] })],
  controllers: [PolicyController, CompletionsController, ConsoleController],
  providers: [ConsoleService, PolicyService, PolicyStore, CompletionsService, RecentRequests, OpenAiErrorFilter],
})
export class GatewayModule {}
