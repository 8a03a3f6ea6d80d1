import { Controller, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { sendReportFile, ServesRoute } from '@assay/platform';
import { ReportStore } from './report.store';

@Controller()
export class ReportController {
  constructor(private readonly reports: ReportStore) {}

  /** Behind the API key like every route; the job result also carries a presigned object-store URL. */
  @ServesRoute('getReportFile')
  async report(@Param('jobId') jobId: string, @Param('file') file: string, @Res() res: Response) {
    sendReportFile(res, await this.reports.open(jobId, file));
  }
}
