import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import {
  CertifyBenchRequest,
  CertifyBenchRequestSchema,
  CertifyEvalRequest,
  CertifyEvalRequestSchema,
  JOB_QUEUES,
  JobAcceptedSchema,
  JobStatusResponseSchema,
  SUBJECTS,
} from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { EvaluationJobsService } from './evaluation-jobs.service';

@ApiTags('certifier')
@Controller('v1')
export class EvaluationsController {
  constructor(private readonly evaluations: EvaluationJobsService) {}

  @MessagePattern(SUBJECTS.certifier.evaluate)
  evaluateMessage(@Payload(new ZodPipe(CertifyEvalRequestSchema)) request: CertifyEvalRequest) {
    return this.evaluations.submitEvaluation(request);
  }

  @Post('evaluations')
  @HttpCode(202)
  @ApiContract({ summary: 'Queue a VALID evaluation on in-domain and out-of-domain sets (a durable job; result: CertifyEvalResult)', body: CertifyEvalRequestSchema, response: JobAcceptedSchema, status: 202 })
  evaluate(@Body(new ZodPipe(CertifyEvalRequestSchema)) request: CertifyEvalRequest) {
    return this.evaluations.submitEvaluation(request);
  }

  @Get('evaluations/:id')
  @ApiContract({ summary: 'Status, progress and result of an evaluation job', response: JobStatusResponseSchema })
  evaluation(@Param('id') id: string) {
    return this.evaluations.status(JOB_QUEUES.certifierEvaluate, id);
  }

  @MessagePattern(SUBJECTS.certifier.benchmark)
  benchmarkMessage(@Payload(new ZodPipe(CertifyBenchRequestSchema)) request: CertifyBenchRequest) {
    return this.evaluations.submitBenchmark(request);
  }

  @Post('benchmarks')
  @HttpCode(202)
  @ApiContract({ summary: 'Queue a certified multiple-choice benchmark (a durable job; result: CertifyBenchResult)', body: CertifyBenchRequestSchema, response: JobAcceptedSchema, status: 202 })
  benchmark(@Body(new ZodPipe(CertifyBenchRequestSchema)) request: CertifyBenchRequest) {
    return this.evaluations.submitBenchmark(request);
  }

  @Get('benchmarks/:id')
  @ApiContract({ summary: 'Status, progress and result of a certified benchmark job', response: JobStatusResponseSchema })
  benchmarkStatus(@Param('id') id: string) {
    return this.evaluations.status(JOB_QUEUES.certifierBenchmark, id);
  }
}
