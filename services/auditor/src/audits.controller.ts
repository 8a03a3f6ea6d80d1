import { Body, Controller, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import { AuditGetRequest, AuditGetRequestSchema, AuditReportSchema, AuditStartRequest, AuditStartRequestSchema, JobAcceptedSchema, SUBJECTS } from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { AuditsService } from './audits.service';

@ApiTags('auditor')
@Controller('v1')
export class AuditsController {
  constructor(private readonly audits: AuditsService) {}

  @MessagePattern(SUBJECTS.auditor.start)
  startMessage(@Payload(new ZodPipe(AuditStartRequestSchema)) request: AuditStartRequest) {
    return this.audits.start(request);
  }

  @MessagePattern(SUBJECTS.auditor.get)
  getMessage(@Payload(new ZodPipe(AuditGetRequestSchema)) request: AuditGetRequest) {
    return this.audits.get(request.id);
  }

  @Post('audits')
  @HttpCode(202)
  @ApiContract({ summary: 'Queue an anytime-valid behaviour-shift audit of a candidate model against a reference', body: AuditStartRequestSchema, response: JobAcceptedSchema, status: 202 })
  start(@Body(new ZodPipe(AuditStartRequestSchema)) request: AuditStartRequest) {
    return this.audits.start(request);
  }

  @Get('audits/:id')
  @ApiContract({ summary: 'Audit decision, samples to decision, per-model means with 95% CIs and the log-wealth trajectory', response: AuditReportSchema })
  get(@Param(new ZodPipe(AuditGetRequestSchema)) request: AuditGetRequest) {
    return this.audits.get(request.id);
  }

  @Get('audits/:id/plot.svg')
  @Header('Content-Type', 'image/svg+xml')
  @ApiContract({ summary: 'Log-wealth trajectory with the log(1/α) rejection line (SVG)' })
  plot(@Param(new ZodPipe(AuditGetRequestSchema)) request: AuditGetRequest) {
    return this.audits.plotSvg(request.id);
  }

  @Get('audits/:id/report.html')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiContract({ summary: 'Self-contained HTML report of the audit' })
  report(@Param(new ZodPipe(AuditGetRequestSchema)) request: AuditGetRequest) {
    return this.audits.html(request.id);
  }
}
