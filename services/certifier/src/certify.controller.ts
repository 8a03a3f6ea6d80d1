import { Body, Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertifyRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { CertifyService } from './certify.service';

@Controller()
export class CertifyController {
  constructor(private readonly certifyService: CertifyService) {}

  @AnswersSubject('assay.certifier.certify')
  certifyMessage(@Payload() request: CertifyRequest) {
    return this.certifyService.certify(request);
  }

  @ServesRoute('certify')
  certify(@Body() request: CertifyRequest) {
    return this.certifyService.certify(request);
  }
}
