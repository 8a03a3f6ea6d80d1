import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import { GuideTrainRequest, GuideTrainRequestSchema, JobAcceptedSchema, JobStatusResponseSchema, SUBJECTS } from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { GuideTrainingService } from './guide-training.service';

@ApiTags('guide-training')
@Controller('v1')
export class GuidesController {
  constructor(private readonly guides: GuideTrainingService) {}

  @MessagePattern(SUBJECTS.guideTraining.train)
  trainMessage(@Payload(new ZodPipe(GuideTrainRequestSchema)) request: GuideTrainRequest) {
    return this.guides.submit(request);
  }

  @Post('guides')
  @HttpCode(202)
  @ApiContract({ summary: 'Queue the training of a guide G on in-domain responses (a durable job)', body: GuideTrainRequestSchema, response: JobAcceptedSchema, status: 202 })
  train(@Body(new ZodPipe(GuideTrainRequestSchema)) request: GuideTrainRequest) {
    return this.guides.submit(request);
  }

  @Get('guides/jobs/:id')
  @ApiContract({ summary: 'Status, progress ({step, loss, valLoss, tokensPerSec, etaSec}) and result of a guide-training job', response: JobStatusResponseSchema })
  status(@Param('id') id: string) {
    return this.guides.status(id);
  }
}
