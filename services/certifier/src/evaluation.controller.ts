import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertifyEvalRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { EvaluationService } from './evaluation.service';

@Controller()
export class EvaluationController {
  constructor(private readonly evaluations: EvaluationService) {}

  @AnswersSubject('assay.certifier.evaluate')
  evaluateMessage(@Payload() request: CertifyEvalRequest) {
    return this.evaluations.submit(request);
  }

  @ServesRoute('submitEvaluation')
  evaluate(@Body() request: CertifyEvalRequest) {
    return this.evaluations.submit(request);
  }

  @ServesRoute('getEvaluation')
  evaluation(@Param('id') id: string) {
    return this.evaluations.status(id);
  }
}
