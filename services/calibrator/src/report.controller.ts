import { Controller, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ServesRoute } from '@assay/platform';
import { CalibrationReportStore } from './report.store';

@Controller()
export class ReportController {
  constructor(private readonly reports: CalibrationReportStore) {}

  /** Behind the API key like every route. */
  @ServesRoute('getCalibrationReportFile')
  async report(@Param('jobId') jobId: string, @Param('file') file: string, @Res() res: Response) {
    const { stream, contentType } = await this.reports.open(jobId, file);
    res.status(200).setHeader('content-type', contentType);
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
