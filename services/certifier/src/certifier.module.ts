import { Module } from '@nestjs/common';
import { PlatformModule } from '@assay/platform';
import { CertifyController } from './certify.controller';
import { CertifyService } from './certify.service';
import { ModelPairService } from './model-pair.service';

@Module({
  imports: [PlatformModule.forRoot({ service: 'certifier' })],
  controllers: [CertifyController],
  providers: [CertifyService, ModelPairService],
})
export class CertifierModule {}
