import { Module } from '@nestjs/common';
import { ModelHostModule, PlatformModule } from '@assay/platform';
import { GenerateController } from './generate.controller';
import { GenerateService } from './generate.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'generation' }), ModelHostModule],
  controllers: [GenerateController],
  providers: [GenerateService],
})
export class GenerationModule {}
