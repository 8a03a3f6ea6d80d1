import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiContract } from '@assay/platform';
import { ReportStore } from './report-store';

@ApiTags('certifier')
@Controller('v1')
export class ReportsController {
  constructor(private readonly reports: ReportStore) {}

  /** Behind the API key like every route; the job result also carries a presigned object-store URL. */
  @Get('reports/:jobId/:file')
  @ApiContract({ summary: 'A file of an evaluation or benchmark report (index.html, report.json, *.svg)' })
  async report(@Param('jobId') jobId: string, @Param('file') file: string, @Res() res: Response) {
    const { stream, contentType } = await this.reports.open(jobId, file);
    res.status(200).setHeader('content-type', contentType);
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
