import { Body, Controller, Param, Res } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Response } from 'express';
import { RewardEvalRequest, RewardTrainRequest } from '@assay/contracts';
import { AnswersSubject, sendReportFile, ServesRoute } from '@assay/platform';
import { RewardReportStore } from './report.store';
import { TrainingService } from './training.service';

@Controller()
export class TrainingController {
  constructor(
    private readonly training: TrainingService,
    private readonly reports: RewardReportStore,
  ) {}

  @AnswersSubject('assay.reward.train')
  trainMessage(@Payload() request: RewardTrainRequest) {
    return this.training.train(request);
  }

  @AnswersSubject('assay.reward.evaluate')
  evaluateMessage(@Payload() request: RewardEvalRequest) {
    return this.training.evaluate(request);
  }

  @ServesRoute('submitRewardTraining')
  train(@Body() request: RewardTrainRequest) {
    return this.training.train(request);
  }

  @ServesRoute('getRewardTraining')
  trainingStatus(@Param('id') id: string) {
    return this.training.trainingStatus(id);
  }

  @ServesRoute('submitRewardEvaluation')
  evaluate(@Body() request: RewardEvalRequest) {
    return this.training.evaluate(request);
  }

  @ServesRoute('getRewardEvaluation')
  evaluationStatus(@Param('id') id: string) {
    return this.training.evaluationStatus(id);
  }

  /** Behind the API key like every route. */
  @ServesRoute('getRewardReportFile')
  async report(@Param('jobId') jobId: string, @Param('file') file: string, @Res() res: Response) {
    sendReportFile(res, await this.reports.open(jobId, file));
  }
}
