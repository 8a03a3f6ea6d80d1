import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AuditGetRequest, AuditStartRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { AuditService } from './audit.service';

@Controller()
export class AuditController {
  constructor(private readonly audits: AuditService) {}

  @AnswersSubject('assay.auditor.start')
  startMessage(@Payload() request: AuditStartRequest) {
    return this.audits.start(request);
  }

  @AnswersSubject('assay.auditor.get')
  getMessage(@Payload() request: AuditGetRequest) {
    return this.audits.get(request.id);
  }

  @ServesRoute('submitAudit')
  start(@Body() request: AuditStartRequest) {
    return this.audits.start(request);
  }

  @ServesRoute('getAudit')
  get(@Param('id') id: string) {
    return this.audits.get(id);
  }

  @ServesRoute('getAuditPlot')
  plot(@Param('id') id: string) {
    return this.audits.plotSvg(id);
  }

  @ServesRoute('getAuditReport')
  report(@Param('id') id: string) {
    return this.audits.html(id);
  }
}
