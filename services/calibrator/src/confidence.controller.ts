import { Body, Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConfidenceRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { ConfidenceService } from './confidence.service';

@Controller()
export class ConfidenceController {
  constructor(private readonly confidence: ConfidenceService) {}

  @AnswersSubject('assay.calibrator.confidence')
  confidenceMessage(@Payload() request: ConfidenceRequest) {
    return this.confidence.score(request);
  }

  @ServesRoute('confidence')
  confidenceRoute(@Body() request: ConfidenceRequest) {
    return this.confidence.score(request);
  }
}
