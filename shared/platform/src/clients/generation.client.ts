import { AssayError, Completion, GenerateResponse, SubjectRequest } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import { modelServiceError } from './model-service-errors';

export type GenerateRequestInput = SubjectRequest<'assay.generation.generate'>;

/** Sampling settings of `completeEach`; `seed` is the caller's base seed, see derivedSeed. */
export interface EachSampling {
  maxNewTokens: number;
  temperature: number;
  topP?: number;
  topK?: number;
  seed: number;
  returnHiddenStates?: boolean;
}

export interface CallOptions {
  timeoutMs?: number;
}

/** Calls from inside durable jobs may wait long for a CPU batch; the job heartbeats meanwhile. */
export const JOB_RPC_TIMEOUT_MS = 10 * 60_000;

/**
 * The one seed derivation of Assay's callers: the seed of the `index`-th of several seeded requests made from one base
 * seed (VALID's sequential draws; an audit's prompts by their position in the visit order). A 32-bit value, distinct
 * per index, the same on every run, so a resumed job regenerates exactly what it would have.
 */
export function derivedSeed(seed: number, index: number): number {
  return (seed + Math.imul(index, 7919)) >>> 0;
}

/**
 * The generation service over NATS (`assay.generation.generate`), typed and validated by the contract registry, with
 * one error mapping (modelServiceError). `generate` is one request as given; `completeEach` is one completion for
 * each of many prompts, cut to the batch cap.
 */
export class GenerationClient {
  constructor(
    private readonly rpc: RpcClient,
    private readonly options: { maxBatch: number },
  ) {}

  async generate(request: GenerateRequestInput, options: CallOptions = {}): Promise<GenerateResponse> {
    try {
      return await this.rpc.call('assay.generation.generate', request, { retryUnavailable: 1, ...options });
    } catch (error) {
      throw modelServiceError('generation', request.model, error);
    }
  }

  /**
   * One completion per prompt, in order, each an independent draw: requests hold at most the batch cap and never two
   * copies of one prompt (a repeated prompt's later copies go to later requests), and a request's seed is
   * derivedSeed(sampling.seed, position + index of its first prompt), distinct for every request. Without repeats the
   * requests are the plain consecutive chunks. With `isolateRefusals`, a refused request (BAD_REQUEST: e.g. one prompt
   * longer than the context) is retried prompt by prompt and only the refused prompts come back null; when every prompt
   * is refused the request itself is wrong and its error is thrown.
   */
  async completeEach(
    model: string,
    prompts: readonly string[],
    position: number,
    sampling: EachSampling,
    options: CallOptions & { isolateRefusals?: boolean } = {},
  ): Promise<Array<Completion | null>> {
    const refused: AssayError[] = [];
    const out = new Array<Completion | null>(prompts.length).fill(null);
    for (const indices of distinctChunks(prompts, Math.max(1, this.options.maxBatch))) {
      const completions = await this.completeChunk(model, indices.map((i) => prompts[i]), indices.map((i) => position + i), sampling, options, refused);
      indices.forEach((i, j) => (out[i] = completions[j]));
    }
    if (refused.length > 0 && refused.length === prompts.length) throw refused[0];
    return out;
  }

  /** One request for `prompts` (distinct), seeded by the position of its first; refusals isolated as completeEach says. */
  private async completeChunk(
    model: string,
    prompts: string[],
    positions: number[],
    sampling: EachSampling,
    options: CallOptions & { isolateRefusals?: boolean },
    refused: AssayError[],
  ): Promise<Array<Completion | null>> {
    try {
      const reply = await this.generate({ model, prompts, n: 1, ...sampling, seed: derivedSeed(sampling.seed, positions[0]) }, options);
      const completions = new Array<Completion | null>(prompts.length).fill(null);
      for (const completion of reply.completions) completions[completion.promptIndex] = completion;
      return completions;
    } catch (error) {
      const failure = error as AssayError;
      if (!options.isolateRefusals || failure.code !== 'BAD_REQUEST') throw error;
      if (prompts.length === 1) {
        refused.push(failure);
        return [null];
      }
      const out: Array<Completion | null> = [];
      for (let i = 0; i < prompts.length; i++) out.push(...(await this.completeChunk(model, [prompts[i]], [positions[i]], sampling, options, refused)));
      return out;
    }
  }
}

/**
 * Indices of `prompts` cut into requests of at most `cap` that never hold one prompt twice: the k-th copy of a prompt
 * goes to the k-th round, and each round is cut into consecutive chunks. Without repeats: one round, plain chunks.
 */
export function distinctChunks(prompts: readonly string[], cap: number): number[][] {
  const copies = new Map<string, number>();
  const rounds: number[][] = [];
  prompts.forEach((prompt, i) => {
    const round = copies.get(prompt) ?? 0;
    copies.set(prompt, round + 1);
    (rounds[round] ??= []).push(i);
  });
  const chunks: number[][] = [];
  for (const round of rounds) for (let from = 0; from < round.length; from += cap) chunks.push(round.slice(from, from + cap));
  return chunks;
}
