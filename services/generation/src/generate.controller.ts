import { Body, Controller, Inject, Req, Res } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Request, Response } from 'express';
import { Logger } from 'pino';
import { AssayError, GenerateRequest } from '@assay/contracts';
import { AnswersSubject, ASSAY_LOGGER, ServesRoute } from '@assay/platform';
import { GenerateService } from './generate.service';
import { SseStream } from '@assay/platform';

@Controller()
export class GenerateController {
  constructor(
    private readonly generateService: GenerateService,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  @AnswersSubject('assay.generation.generate')
  generateMessage(@Payload() request: GenerateRequest) {
    return this.generateService.generate(request);
  }

  @ServesRoute('generate')
  generate(@Body() request: GenerateRequest) {
    return this.generateService.generate(request);
  }

  /**
   * Invalid bodies and missing API keys fail as ordinary HTTP errors; once the request is valid the response
   * is the stream, and any later failure (unknown model, caps, context overflow, runtime) is its `error` event.
   */
  @ServesRoute('generateStream')
  async generateStream(@Body() request: GenerateRequest, @Req() req: Request, @Res() res: Response): Promise<void> {
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
