import { Body, Controller, Inject, Param, Req, Res } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Request, Response } from 'express';
import { Logger } from 'pino';
import { AssayError, RectifiedGenerateRequest, RectifierEvaluateRequest, RectifierTrainRequest } from '@assay/contracts';
import { AnswersSubject, ASSAY_LOGGER, ServesRoute, SseStream } from '@assay/platform';
import { EvaluateService } from './evaluate.service';
import { RectifyService } from './rectify.service';
import { TrainService } from './train.service';

@Controller()
export class RectifierController {
  constructor(
    private readonly rectify: RectifyService,
    private readonly training: TrainService,
    private readonly evaluation: EvaluateService,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  @AnswersSubject('assay.rectifier.generate')
  generateMessage(@Payload() request: RectifiedGenerateRequest) {
    return this.rectify.generate(request);
  }

  @AnswersSubject('assay.rectifier.train')
  trainMessage(@Payload() request: RectifierTrainRequest) {
    return this.training.submit(request);
  }

  @AnswersSubject('assay.rectifier.evaluate')
  evaluateMessage(@Payload() request: RectifierEvaluateRequest) {
    return this.evaluation.submit(request);
  }

  @ServesRoute('rectifiedGenerate')
  generate(@Body() request: RectifiedGenerateRequest) {
    return this.rectify.generate(request);
  }

  /** As generation's stream: a valid request opens the stream, later failures are its `error` event. */
  @ServesRoute('rectifiedGenerateStream')
  async generateStream(@Body() request: RectifiedGenerateRequest, @Req() req: Request, @Res() res: Response): Promise<void> {
    const stream = new SseStream(req, res);
    try {
      const response = await this.rectify.generateStream(request, (token) => stream.send('token', token), stream.signal);
      stream.send('done', response);
    } catch (error) {
      const failure = AssayError.from(error);
      if (failure.code === 'INTERNAL') this.logger.error({ err: error }, 'rectified generate stream failed');
      stream.send('error', failure.toEnvelope());
    } finally {
      stream.end();
    }
  }

  @ServesRoute('submitRectifierTraining')
  train(@Body() request: RectifierTrainRequest) {
    return this.training.submit(request);
  }

  @ServesRoute('getRectifierTrainingJob')
  trainingStatus(@Param('id') id: string) {
    return this.training.status(id);
  }

  @ServesRoute('submitRectifierEvaluation')
  evaluate(@Body() request: RectifierEvaluateRequest) {
    return this.evaluation.submit(request);
  }

  @ServesRoute('getRectifierEvaluation')
  evaluationStatus(@Param('id') id: string) {
    return this.evaluation.status(id);
  }

  @ServesRoute('getRectifierEvaluationReport')
  evaluationReport(@Param('id') id: string) {
    return this.evaluation.html(id);
  }
}
