import { Controller, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { sendReportFile, ServesRoute } from '@assay/platform';
import { CalibrationReportStore } from './report.store';

@Controller()
export class ReportController {
  constructor(private readonly reports: CalibrationReportStore) {}

  /** Behind the API key like every route. */
  @ServesRoute('getCalibrationReportFile')
  async report(@Param('jobId') jobId: string, @Param('file') file: string, @Res() res: Response) {
    sendReportFile(res, await this.reports.open(jobId, file));
  }
}
