import { Module } from '@nestjs/common';
import { ModelHostModule, PlatformModule } from '@assay/platform';
import { ScoreController } from './score.controller';
import { ScoreService } from './score.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'likelihood' }), ModelHostModule],
  controllers: [ScoreController],
  providers: [ScoreService],
})
export class LikelihoodModule {}
