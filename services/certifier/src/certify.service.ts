import { Inject, Injectable } from '@nestjs/common';
import { AssayError, CertifyRequest, CertifyResponse, Completion, RectifiedCompletion, REFUSAL_TEXT, splitModelRef, Usage } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, derivedSeed, GenerationClient, LikelihoodClient, RectifierClient } from '@assay/platform';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { AcceptedDraw, Draw, DrawsVerdict, GuideScore, judgeDraws, prepareDraw, scoreDraw } from './certify-attempts';
import { CertifyStagesService } from './certify-stages.service';
import { ModelFacts, ModelFactsService } from './model-facts.service';

/** What judging a draw needs besides the draw: both models' tokenizers and limits, and which scoring path. */
interface Judge {
  large: ModelFacts;
  guide: ModelFacts;
  tokenizersMatch: boolean;
}

/** One generation call's draws, with G's scores of them when the generation service made them (`scoreWith`). */
interface GeneratedDraws {
  completions: Completion[];
  version: string;
  /** Which G scored `completions[].scoredWith` (resolved), and whether the generation service found equal tokenizers. */
  guideScores?: { ref: string; tokenizersMatch: boolean };
}

/**
 * VALID (spec valid.md §2): draw up to T answers from L, accept the first whose log2 L(y|x) − log2 G(y)
 * ≤ k·N_y (and whose text re-encodes to its own tokens, see certify-attempts.ts), else abstain with a fixed
 * refusal. L runs in the generation service, which also scores the draws under G in the same call (the likelihood
 * service scores what it cannot: two tokenizers, rectified draws), so one certification is one trace across the services.
 */
@Injectable()
export class CertifyService {
  constructor(
    private readonly generation: GenerationClient,
    private readonly rectifier: RectifierClient,
    private readonly likelihood: LikelihoodClient,
    private readonly stages: CertifyStagesService,
    private readonly facts: ModelFactsService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  async certify(request: CertifyRequest): Promise<CertifyResponse> {
    if (request.T > this.config.certifier.maxT) {
      throw AssayError.badRequest(`T = ${request.T} exceeds the configured cap of ${this.config.certifier.maxT} (ASSAY_CERTIFIER_MAX_T)`);
    }
    return withSpan('certify', { attributes: { [ATTR.assayOperation]: 'certify', [ATTR.genAiRequestModel]: request.model, 'assay.guide': request.guide, 'assay.valid.k': request.k, 'assay.valid.T': request.T } }, async (span) => {
      // L's tokenizer and limits are those of the version that generated; G's those of the version the generation
      // service scored with (both cached per name@version after the first call, so no registry lookup of G here on
      // the common path). Rectified draws are not scored there: G's version is then resolved here, while L' generates.
      const guideHere = request.rectifier ? this.facts.get(request.guide) : undefined;
      guideHere?.catch(() => undefined);
      const judge = async (drawn: GeneratedDraws): Promise<Judge> => {
        const guide = drawn.guideScores ? this.facts.get(drawn.guideScores.ref) : (guideHere ?? this.facts.get(request.guide));
        const [guideFacts, large] = await Promise.all([guide, this.facts.get(`${splitModelRef(request.model).name}@${drawn.version}`)]);
        return { large, guide: guideFacts, tokenizersMatch: large.tokenizerDigest === guideFacts.tokenizerDigest };
      };
      const usage = { inputTokens: 0, outputTokens: 0 };
      const { draws, tokenizersMatch } = request.mode === 'batched' ? await this.drawBatched(request, judge, usage) : await this.drawSequential(request, judge, usage);
      const verdict = judgeDraws(draws, request.k, request.T, { maxLog2Epsilon: request.maxLog2Epsilon });
      const { chosen, reward } = await this.stages.choose(request, verdict);
      const pCorrect = chosen ? await this.stages.confidence(request, chosen.draw.completion.text) : null;
      const response: CertifyResponse = {
        ...this.toResponse(request, verdict, chosen, tokenizersMatch),
        usage,
        stages: [request.rectifier ? 'rectify' : 'sample', 'certify', ...(request.rerank ? ['rerank' as const] : []), ...(request.confidence ? ['confidence' as const] : [])],
        ...(request.rerank ? { reward } : {}),
        ...(request.confidence ? { pCorrect } : {}),
        ...(request.rectifier ? { rectification: chosen ? ((chosen.draw.completion as RectifiedCompletion).rectification ?? null) : null } : {}),
      };
      span.addEvent(EVENTS.guardrailResult, {
        [ATTR.guardrailResult]: response.status,
        'assay.valid.attempts': response.attempts.length,
        ...(response.certificate ? { 'assay.valid.log2_epsilon': response.certificate.log2Epsilon, 'assay.valid.vacuous': response.certificate.vacuous } : {}),
      });
      return response;
    });
  }

  /**
   * All T draws in one batch; the first accepted in draw order wins. Draws are i.i.d. whether made at once
   * or one by one, so "first accepted among T pre-drawn samples" has exactly the distribution of the
   * sequential loop that stops at the first acceptance, at the latency of a single batch.
   */
  private async drawBatched(request: CertifyRequest, judgeFor: (drawn: GeneratedDraws) => Promise<Judge>, usage: Usage): Promise<{ draws: Draw[]; tokenizersMatch: boolean }> {
    const drawn = await this.generate(request, request.T, request.seed, usage);
    const judge = await judgeFor(drawn);
    return { draws: await this.scoreWithGuide(drawn, judge), tokenizersMatch: judge.tokenizersMatch };
  }

  /** One draw at a time, stopping at the first acceptance: fewer tokens generated when answers are in-domain. */
  private async drawSequential(request: CertifyRequest, judgeFor: (drawn: GeneratedDraws) => Promise<Judge>, usage: Usage): Promise<{ draws: Draw[]; tokenizersMatch: boolean }> {
    const draws: Draw[] = [];
    let judge: Judge | undefined;
    for (let t = 0; t < request.T; t++) {
      const seed = request.seed === undefined ? undefined : derivedSeed(request.seed, t);
      const drawn = await this.generate(request, 1, seed, usage);
      judge ??= await judgeFor(drawn);
      draws.push(...(await this.scoreWithGuide(drawn, judge)));
      // Reranking chooses among all accepted draws, so it needs all T; otherwise stop at the first acceptance.
      if (!request.rerank && judgeDraws(draws, request.k, request.T, { maxLog2Epsilon: request.maxLog2Epsilon }).chosen) break;
    }
    return { draws, tokenizersMatch: judge?.tokenizersMatch ?? false };
  }

  /**
   * One generation call; its tokens are added to `usage` (the prompt counted once per request). Without a rectifier,
   * the generation service also scores the draws under G in the same call (`scoreWith`), so G costs one forward pass
   * next to L and no round trip of its own; scoreWithGuide decides whether those scores can be used.
   */
  private async generate(request: CertifyRequest, n: number, seed: number | undefined, usage: Usage): Promise<GeneratedDraws> {
    const generate = {
      model: request.model,
      ...(request.messages ? { messages: request.messages } : { prompts: [request.prompt ?? ''] }),
      n,
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      topP: 1,
      seed,
    };
    // With a rectifier, the draws come from the rectified L', and samplingLogprob is L''s: the ratio test uses it.
    const reply = request.rectifier
      ? await this.rectifier.generate({ ...generate, rectifier: request.rectifier.name, ...(request.rectifier.epsilon === undefined ? {} : { epsilon: request.rectifier.epsilon }) })
      : await this.generation.generate({ ...generate, scoreWith: request.guide }).catch(async (error: unknown) => {
          // An unknown guide is the guide's error (NOT_FOUND for the guide), not the generation's.
          await this.facts.get(request.guide);
          throw error;
        });
    if (usage.inputTokens === 0) usage.inputTokens = reply.usage.inputTokens;
    usage.outputTokens += reply.usage.outputTokens;
    const scoredWith = 'scoredWith' in reply && reply.scoredWith ? reply.scoredWith : undefined;
    return { completions: reply.completions, version: reply.version, ...(scoredWith ? { guideScores: { ref: `${scoredWith.model}@${scoredWith.version}`, tokenizersMatch: scoredWith.tokenizersMatch } } : {}) };
  }

  /**
   * G scores BOS + y only, never the prompt (spec pitfall 3). With one tokenizer, the generation service has already
   * scored each draw's ids (EOS dropped) after BOS with the guide version the judge describes, through the runtime's
   * own score path: those scores are used when they are for exactly the ids judged here (the same version of G, the
   * same ids, one log-prob per id). Every other scorable draw (two tokenizers: G's own encoding of the text, made
   * here; a rectifier; a version that moved) is scored through the likelihood service, as an empty context (BOS).
   * A draw G cannot score is known, and rejected, before any call.
   */
  private async scoreWithGuide(drawn: GeneratedDraws, judge: Judge): Promise<Draw[]> {
    const prepared = drawn.completions.map((c) => prepareDraw(c, judge.large, judge.guide, judge.tokenizersMatch));
    const fromGeneration = judge.tokenizersMatch && drawn.guideScores?.tokenizersMatch === true && drawn.guideScores.ref === judge.guide.ref;
    const scores = new Array<GuideScore | undefined>(prepared.length);
    prepared.forEach((p, i) => {
      const given = fromGeneration ? drawn.completions[i].scoredWith : undefined;
      if (p.rejection === undefined && given && given.logprobs.length === p.guideIds.length) scores[i] = { sumLogprob: given.sumLogprob, tokens: given.logprobs.map((logprob) => ({ logprob })) };
    });
    const missing = prepared.flatMap((p, i) => (p.rejection === undefined && scores[i] === undefined ? [{ i, ids: p.guideIds }] : []));
    if (missing.length > 0) {
      // The guide's resolved `name@version`: the version whose tokenizer made guideIds, and no registry lookup there.
      const { results } = await this.likelihood.score(judge.guide.ref, missing.map((m) => ({ context: '', continuationIds: m.ids })));
      missing.forEach((m, j) => (scores[m.i] = results[j]));
    }
    return prepared.map((p, i) => scoreDraw(p, p.rejection === undefined ? scores[i] : undefined, judge.tokenizersMatch));
  }

  private toResponse(request: CertifyRequest, verdict: DrawsVerdict, chosen: AcceptedDraw | null, tokenizersMatch: boolean): CertifyResponse {
    const base = { model: request.model, guide: request.guide, attempts: verdict.attempts };
    if (chosen === null) return { ...base, status: 'abstained', text: REFUSAL_TEXT };
    const { draw, log2Epsilon, index } = chosen;
    const epsilon = Math.pow(2, log2Epsilon);
    return {
      ...base,
      status: 'accepted',
      chosen: index,
      text: draw.completion.text,
      certificate: {
        log2Epsilon,
        epsilon: Number.isFinite(epsilon) ? epsilon : null,
        vacuous: log2Epsilon >= 0,
        nTokens: draw.scores.nTokens,
        log2L: draw.scores.log2L,
        log2G: draw.scores.log2G,
        k: request.k,
        T: request.T,
        perTokenLog2Ratio: draw.perTokenLog2Ratio,
        tokenizersMatch,
      },
    };
  }
}
