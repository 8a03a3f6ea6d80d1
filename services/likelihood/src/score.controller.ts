import { Body, Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ScoreRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { ScoreService } from './score.service';

@Controller()
export class ScoreController {
  constructor(private readonly scoreService: ScoreService) {}

  @AnswersSubject('assay.likelihood.score')
  scoreMessage(@Payload() request: ScoreRequest) {
    return this.scoreService.score(request);
  }

  @ServesRoute('score')
  score(@Body() request: ScoreRequest) {
    return this.scoreService.score(request);
  }
}
