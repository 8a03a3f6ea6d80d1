import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import { ScoreRequest, ScoreRequestSchema, ScoreResponseSchema, SUBJECTS } from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { ScoreService } from './score.service';

@ApiTags('likelihood')
@Controller('v1')
export class ScoreController {
  constructor(private readonly scoreService: ScoreService) {}

  @MessagePattern(SUBJECTS.likelihood.score)
  scoreMessage(@Payload(new ZodPipe(ScoreRequestSchema)) request: ScoreRequest) {
    return this.scoreService.score(request);
  }

  @Post('score')
  @HttpCode(200)
  @ApiContract({ summary: 'Log-probability of each continuation token given its context', body: ScoreRequestSchema, response: ScoreResponseSchema })
  score(@Body(new ZodPipe(ScoreRequestSchema)) request: ScoreRequest) {
    return this.scoreService.score(request);
  }
}
