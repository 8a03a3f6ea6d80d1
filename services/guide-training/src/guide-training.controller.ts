import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { GuideTrainRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { GuideTrainingService } from './guide-training.service';

@Controller()
export class GuideTrainingController {
  constructor(private readonly guides: GuideTrainingService) {}

  @AnswersSubject('assay.guide-training.train')
  trainMessage(@Payload() request: GuideTrainRequest) {
    return this.guides.submit(request);
  }

  @ServesRoute('submitGuideTraining')
  train(@Body() request: GuideTrainRequest) {
    return this.guides.submit(request);
  }

  @ServesRoute('getGuideTrainingJob')
  status(@Param('id') id: string) {
    return this.guides.status(id);
  }
}
