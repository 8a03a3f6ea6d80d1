import { Inject, Injectable } from '@nestjs/common';
import { AssayError, CertifyRequest, CertifyResponse, Completion, REFUSAL_TEXT } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, derivedSeed, GenerationClient, LikelihoodClient } from '@assay/platform';
import { FirstAcceptedResult, selectFirstAccepted, SequenceScores } from '@assay/stats';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { attemptScores, responseTokens } from './certify-attempts';
import { ModelPairService } from './model-pair.service';

type ScoredAttempt = SequenceScores & { perTokenLog2Ratio: number[]; completion: Completion };

/**
 * VALID (spec valid.md §2): draw up to T answers from L, accept the first whose log2 L(y|x) − log2 G(y)
 * ≤ k·N_y, else abstain with a fixed refusal. L and G run in the generation and likelihood services, so one
 * certification is one trace across three services.
 */
@Injectable()
export class CertifyService {
  constructor(
    private readonly generation: GenerationClient,
    private readonly likelihood: LikelihoodClient,
    private readonly pairs: ModelPairService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  async certify(request: CertifyRequest): Promise<CertifyResponse> {
    if (request.T > this.config.certifier.maxT) {
      throw AssayError.badRequest(`T = ${request.T} exceeds the configured cap of ${this.config.certifier.maxT} (ASSAY_CERTIFIER_MAX_T)`);
    }
    return withSpan('certify', { attributes: { [ATTR.assayOperation]: 'certify', [ATTR.genAiRequestModel]: request.model, 'assay.guide': request.guide, 'assay.valid.k': request.k, 'assay.valid.T': request.T } }, async (span) => {
      // The tokenizer check runs while L generates; only G's scoring needs its answer.
      const tokenizersMatch = this.pairs.tokenizersMatch(request.model, request.guide);
      tokenizersMatch.catch(() => undefined);
      const attempts = request.mode === 'batched' ? await this.drawBatched(request, tokenizersMatch) : await this.drawSequential(request, tokenizersMatch);
      const outcome = selectFirstAccepted(attempts, request.k, request.T);
      const response = this.toResponse(request, outcome, attempts, await tokenizersMatch);
      span.addEvent(EVENTS.guardrailResult, { [ATTR.guardrailResult]: response.status, 'assay.valid.attempts': response.attempts.length, 'assay.valid.log2_epsilon': response.certificate?.log2Epsilon ?? Number.NaN });
      return response;
    });
  }

  /**
   * All T draws in one batch; the first accepted in draw order wins. Draws are i.i.d. whether made at once
   * or one by one, so "first accepted among T pre-drawn samples" has exactly the distribution of the
   * sequential loop that stops at the first acceptance, at the latency of a single batch.
   */
  private async drawBatched(request: CertifyRequest, tokenizersMatch: Promise<boolean>): Promise<ScoredAttempt[]> {
    const completions = await this.generate(request, request.T, request.seed);
    return this.scoreWithGuide(request, completions, await tokenizersMatch);
  }

  /** One draw at a time, stopping at the first acceptance: fewer tokens generated when answers are in-domain. */
  private async drawSequential(request: CertifyRequest, tokenizersMatchPending: Promise<boolean>): Promise<ScoredAttempt[]> {
    const attempts: ScoredAttempt[] = [];
    let tokenizersMatch: boolean | undefined;
    for (let t = 0; t < request.T; t++) {
      const seed = request.seed === undefined ? undefined : derivedSeed(request.seed, t);
      const completions = await this.generate(request, 1, seed);
      tokenizersMatch ??= await tokenizersMatchPending;
      const [attempt] = await this.scoreWithGuide(request, completions, tokenizersMatch);
      attempts.push(attempt);
      if (selectFirstAccepted([attempt], request.k, request.T).status === 'accepted') break;
    }
    return attempts;
  }

  private async generate(request: CertifyRequest, n: number, seed: number | undefined): Promise<Completion[]> {
    const reply = await this.generation.generate({
      model: request.model,
      prompts: [request.prompt],
      n,
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      topP: 1,
      seed,
    });
    return reply.completions;
  }

  /** G scores BOS + y only, never the prompt (spec pitfall 3): an empty context is BOS in the likelihood service. */
  private async scoreWithGuide(request: CertifyRequest, completions: Completion[], tokenizersMatch: boolean): Promise<ScoredAttempt[]> {
    const scorable = completions.filter((c) => responseTokens(c).length > 0);
    const scores = scorable.length
      ? await this.likelihood.score(
          request.guide,
          scorable.map((c) => (tokenizersMatch ? { context: '', continuationIds: responseTokens(c).map((t) => t.id) } : { context: '', continuation: c.text })),
        )
      : { results: [] };
    let next = 0;
    return completions.map((completion) => {
      // An empty answer is never accepted: its certificate would be vacuous, and abstaining never weakens the bound.
      if (responseTokens(completion).length === 0) return { completion, log2L: 0, log2G: Number.NEGATIVE_INFINITY, nTokens: 0, perTokenLog2Ratio: [] };
      const guide = scores.results[next++];
      return { completion, ...attemptScores(completion, guide, tokenizersMatch) };
    });
  }

  private toResponse(request: CertifyRequest, outcome: FirstAcceptedResult<ScoredAttempt>, attempts: ScoredAttempt[], tokenizersMatch: boolean): CertifyResponse {
    const attemptRows = outcome.attempts.map((a) => ({
      index: a.index,
      nTokens: a.nTokens,
      log2L: a.log2L,
      log2G: finiteOr(a.log2G, -1e308),
      log2Ratio: finiteOr(a.log2Ratio, 1e308),
      normalizedLog2Ratio: finiteOr(a.normalizedLog2Ratio, 1e308),
      accepted: a.accepted && attempts[a.index].nTokens > 0,
      finishReason: attempts[a.index].completion.finishReason,
    }));
    const base = { model: request.model, guide: request.guide, attempts: attemptRows };
    if (outcome.status === 'abstained') return { ...base, status: 'abstained', text: REFUSAL_TEXT };
    const chosen = outcome.attempt;
    return {
      ...base,
      status: 'accepted',
      text: chosen.completion.text,
      certificate: {
        log2Epsilon: outcome.certificateLog2,
        epsilon: Math.pow(2, outcome.certificateLog2),
        nTokens: chosen.nTokens,
        log2L: chosen.log2L,
        log2G: chosen.log2G,
        k: request.k,
        T: request.T,
        perTokenLog2Ratio: chosen.perTokenLog2Ratio,
        tokenizersMatch,
      },
    };
  }
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}
