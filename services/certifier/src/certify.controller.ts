import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import { CertifyRequest, CertifyRequestSchema, CertifyResponseSchema, SUBJECTS } from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { CertifyService } from './certify.service';

@ApiTags('certifier')
@Controller('v1')
export class CertifyController {
  constructor(private readonly certifyService: CertifyService) {}

  @MessagePattern(SUBJECTS.certifier.certify)
  certifyMessage(@Payload(new ZodPipe(CertifyRequestSchema)) request: CertifyRequest) {
    return this.certifyService.certify(request);
  }

  @Post('certify')
  @HttpCode(200)
  @ApiContract({ summary: 'Answer a prompt with VALID: accepted with its certificate, or abstained', body: CertifyRequestSchema, response: CertifyResponseSchema })
  certify(@Body(new ZodPipe(CertifyRequestSchema)) request: CertifyRequest) {
    return this.certifyService.certify(request);
  }
}
