import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiTags } from '@nestjs/swagger';
import { GenerateRequest, GenerateRequestSchema, GenerateResponseSchema, SUBJECTS } from '@assay/contracts';
import { ApiContract, ZodPipe } from '@assay/platform';
import { GenerateService } from './generate.service';

@ApiTags('generation')
@Controller('v1')
export class GenerateController {
  constructor(private readonly generateService: GenerateService) {}

  @MessagePattern(SUBJECTS.generation.generate)
  generateMessage(@Payload(new ZodPipe(GenerateRequestSchema)) request: GenerateRequest) {
    return this.generateService.generate(request);
  }

  @Post('generate')
  @HttpCode(200)
  @ApiContract({
    summary: 'Sample continuations. Tokens list every sampled token (EOS and stop-string tokens included); text excludes EOS and the stop string.',
    body: GenerateRequestSchema,
    response: GenerateResponseSchema,
  })
  generate(@Body(new ZodPipe(GenerateRequestSchema)) request: GenerateRequest) {
    return this.generateService.generate(request);
  }
}
