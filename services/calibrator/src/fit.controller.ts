import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CalibrationEvalRequest, FitRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { FitService } from './fit.service';

@Controller()
export class FitController {
  constructor(private readonly fits: FitService) {}

  @AnswersSubject('assay.calibrator.fit')
  fitMessage(@Payload() request: FitRequest) {
    return this.fits.submitFit(request);
  }

  @ServesRoute('submitCalibratorFit')
  fit(@Body() request: FitRequest) {
    return this.fits.submitFit(request);
  }

  @ServesRoute('getCalibratorFit')
  fitStatus(@Param('id') id: string) {
    return this.fits.fitStatus(id);
  }

  @AnswersSubject('assay.calibrator.evaluate')
  evaluateMessage(@Payload() request: CalibrationEvalRequest) {
    return this.fits.submitEvaluation(request);
  }

  @ServesRoute('submitCalibrationEval')
  evaluate(@Body() request: CalibrationEvalRequest) {
    return this.fits.submitEvaluation(request);
  }

  @ServesRoute('getCalibrationEval')
  evaluationStatus(@Param('id') id: string) {
    return this.fits.evaluationStatus(id);
  }
}
