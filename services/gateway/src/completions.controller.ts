import { Body, Controller, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { ChatCompletionRequest, CompletionRequest } from '@assay/contracts';
import { ServesRoute } from '@assay/platform';
import { CompletionsService } from './completions.service';
import { OpenAiErrorFilter } from './openai-error.filter';
import { chatChunks, textChunks, writeEventStream } from './openai-stream';

/** OpenAI's API: `Authorization: Bearer <API key>`, errors in OpenAI's shape, `stream: true` as Server-Sent Events. */
@Controller()
@UseFilters(OpenAiErrorFilter)
export class CompletionsController {
  constructor(private readonly completions: CompletionsService) {}

  @ServesRoute('chatCompletions')
  async chat(@Body() request: ChatCompletionRequest, @Res() res: Response) {
    const completion = await this.completions.chat(request);
    if (request.stream) writeEventStream(res, chatChunks(completion));
    else res.json(completion);
  }

  @ServesRoute('completions')
  async complete(@Body() request: CompletionRequest, @Res() res: Response) {
    const completion = await this.completions.complete(request);
    if (request.stream) writeEventStream(res, textChunks(completion));
    else res.json(completion);
  }

  @ServesRoute('listModels')
  models() {
    return this.completions.models();
  }
}
