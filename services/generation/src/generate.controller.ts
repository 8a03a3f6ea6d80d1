import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Logger } from 'pino';
import { AssayError, GenerateRequest, GenerateRequestSchema, GenerateResponseSchema, SUBJECTS, toJsonSchema } from '@assay/contracts';
import { ApiContract, ASSAY_LOGGER, ZodPipe } from '@assay/platform';
import { GenerateStreamEventsSchema } from './generate-stream.events';
import { GenerateService } from './generate.service';
import { SseStream } from './sse-stream';

@ApiTags('generation')
@Controller('v1')
export class GenerateController {
  constructor(
    private readonly generateService: GenerateService,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

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

  /**
   * Invalid bodies and missing API keys fail as ordinary HTTP errors; once the request is valid the response
   * is the stream, and any later failure (unknown model, caps, context overflow, runtime) is its `error` event.
   */
  @Post('generate/stream')
  @ApiContract({
    summary:
      'Sample continuations as Server-Sent Events: `token` per sampled token as soon as it is decoded, then `done` with the full ' +
      'POST /v1/generate response (same seed, same completions), or `error` with the envelope. Closing the connection cancels the generation.',
    body: GenerateRequestSchema,
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of the events below (data is JSON).', schema: toJsonSchema(GenerateStreamEventsSchema, 'output') as object })
  async generateStream(@Body(new ZodPipe(GenerateRequestSchema)) request: GenerateRequest, @Req() req: Request, @Res() res: Response): Promise<void> {
    const stream = new SseStream(req, res);
    try {
      const response = await this.generateService.generateStream(request, (token) => stream.send('token', token), stream.signal);
      stream.send('done', response);
    } catch (error) {
      const failure = AssayError.from(error);
      if (failure.code === 'INTERNAL') this.logger.error({ err: error }, 'generate stream failed');
      stream.send('error', failure.toEnvelope());
    } finally {
      stream.end();
    }
  }
}
