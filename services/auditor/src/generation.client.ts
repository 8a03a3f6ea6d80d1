import { Inject, Injectable } from '@nestjs/common';
import { AssayError, GenerateResponse, SUBJECTS } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG } from '@assay/platform';

export interface SamplingParams {
  maxNewTokens: number;
  temperature: number;
  topP: number;
  /** The model's audit seed; each request derives its own from it and the prompts' position. */
  seed: number;
}

/**
 * Completions from the generation service over NATS. Requests are cut to the runtime's batch cap. The seed
 * of a request is derived from the model's seed and the position of its first prompt in the visit order, so a
 * resumed audit regenerates nothing it already scored and a repeated prompt gets fresh samples in later batches.
 */
@Injectable()
export class GenerationClient {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  /**
   * One completion per prompt, in order; null where the runtime refused that prompt (e.g. longer than the
   * context). When it refuses every prompt the request itself is wrong, and its error is thrown.
   */
  async complete(model: string, prompts: readonly string[], position: number, params: SamplingParams): Promise<Array<string | null>> {
    const chunk = Math.max(1, this.config.runtime.maxBatch);
    const refused: AssayError[] = [];
    const out: Array<string | null> = [];
    for (let from = 0; from < prompts.length; from += chunk) {
      out.push(...(await this.completeChunk(model, prompts.slice(from, from + chunk), position + from, params, refused)));
    }
    if (refused.length > 0 && refused.length === prompts.length) throw refused[0];
    return out;
  }

  private async completeChunk(model: string, prompts: string[], position: number, params: SamplingParams, refused: AssayError[]): Promise<Array<string | null>> {
    try {
      return await this.request(model, prompts, position, params);
    } catch (error) {
      // A refused request (BAD_REQUEST) may be one bad prompt: retry one by one and mark only those unscorable.
      const failure = AssayError.from(error);
      if (failure.code !== 'BAD_REQUEST') throw error;
      if (prompts.length === 1) {
        refused.push(failure);
        return [null];
      }
      const out: Array<string | null> = [];
      for (let i = 0; i < prompts.length; i++) out.push(...(await this.completeChunk(model, [prompts[i]], position + i, params, refused)));
      return out;
    }
  }

  private async request(model: string, prompts: string[], position: number, params: SamplingParams): Promise<string[]> {
    const reply = await this.rpc.request<GenerateResponse>(
      SUBJECTS.generation.generate,
      {
        model,
        prompts,
        n: 1,
        maxNewTokens: params.maxNewTokens,
        temperature: params.temperature,
        topP: params.topP,
        seed: requestSeed(params.seed, position),
      },
      { timeoutMs: Math.max(this.config.nats.rpcTimeoutMs, 120_000) },
    );
    const texts = new Array<string>(prompts.length).fill('');
    for (const completion of reply.completions) texts[completion.promptIndex] = completion.text;
    return texts;
  }
}

/** A 32-bit seed per (model seed, prompt position). */
export function requestSeed(seed: number, position: number): number {
  return (seed + Math.imul(position, 7919)) >>> 0;
}
