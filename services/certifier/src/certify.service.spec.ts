import { AssayConfig, CalibratorClient, GenerationClient, LikelihoodClient, RectifierClient, RewardHeadClient } from '@assay/platform';
import { Completion, CertifyRequest, CertifyRequestSchema, CertifyResponseSchema, GenerateResponse, RectifiedGenerateResponse, ScoreResponse } from '@assay/contracts';
import { byteLevelTokenizer } from '../test/byte-level-tokenizer';
import { CertifyService } from './certify.service';
import { CertifyStagesService } from './certify-stages.service';
import { ModelFacts, ModelFactsService } from './model-facts.service';

/** A test double derived from a class: the stubbed methods answer, any other member access fails the test. */
function strictMock<T extends object>(stubs: Partial<T>): T {
  return new Proxy(stubs, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      if (key === 'then') return undefined;
      throw new Error(`unstubbed call: ${String(key)}`);
    },
  }) as T;
}

/** L: a, b, Ġ, byte 0xC3, byte 0xA9, ab, é (ids 0–6), EOS 7, BOS 8. G (other tokenizer): only a, Ġ. */
const L_TOKENIZER = byteLevelTokenizer(['a', 'b', 'Ġ', 'Ã', '©', 'ab', 'Ã©'], ['a b', 'Ã ©']);
const G_TOKENIZER = byteLevelTokenizer(['a', 'Ġ'], []);
const EOS = 7;

function facts(ref: string, tokenizer = L_TOKENIZER, contextLength = 64, tokenizerDigest = 'l-tokenizer'): ModelFacts {
  return { ref, tokenizer, tokenizerDigest, contextLength, encode: (t) => tokenizer.encode(t), decode: (ids) => tokenizer.decode(ids) };
}

/** A draw of L: its ids (EOS appended when it ended there), text as the runtime decodes it, −1 nat per token unless given. */
function draw(ids: number[], options: { eos?: boolean; text?: string; logprob?: number } = {}): Completion {
  const all = options.eos ? [...ids, EOS] : ids;
  const lp = options.logprob ?? -1;
  return {
    promptIndex: 0,
    sampleIndex: 0,
    text: options.text ?? L_TOKENIZER.decode(ids),
    tokens: all.map((id) => ({ id, text: L_TOKENIZER.decode([id]), logprob: lp, samplingLogprob: lp })),
    finishReason: options.eos ? 'eos' : 'length',
  };
}

describe('CertifyService', () => {
  let scored: number[][];

  let stageCalls: string[];
  let generateRequests: Array<{ scoreWith?: string }>;

  /**
   * What the generation service answers to `scoreWith`: the G version that scored, whether it found the tokenizers
   * equal, and per draw its log-probs (every token 1/2 here, against 1/4 from the likelihood service, so a test can
   * tell which scored it), or null.
   */
  interface GenerationScores {
    /** One version, or one per generate call (G re-registered between the rounds of a sequential certification). */
    version: string | string[];
    tokenizersMatch: boolean;
    unscored?: number[];
  }

  function sut(completions: Completion[], guide: ModelFacts = facts('g@1'), generationScores?: GenerationScores) {
    stageCalls = [];
    scored = [];
    generateRequests = [];
    const generation = strictMock<GenerationClient>({
      generate: async (request) => {
        generateRequests.push({ scoreWith: request.scoreWith });
        const drawn = completions.slice(0, request.n ?? 1);
        if (!generationScores || request.scoreWith === undefined) return { model: request.model, version: '7', completions: drawn, usage: { inputTokens: 1, outputTokens: 1 } } as GenerateResponse;
        const { tokenizersMatch, unscored = [] } = generationScores;
        const version = Array.isArray(generationScores.version) ? generationScores.version[generateRequests.length - 1] : generationScores.version;
        const scoredWith = (c: Completion, i: number) => {
          const ids = (c.finishReason === 'eos' ? c.tokens.slice(0, -1) : c.tokens).map((t) => t.id);
          return !tokenizersMatch || unscored.includes(i) || ids.length === 0 ? null : { logprobs: ids.map(() => -Math.log(2)), sumLogprob: -ids.length * Math.log(2) };
        };
        return {
          model: request.model,
          version: '7',
          completions: drawn.map((c, i) => ({ ...c, scoredWith: scoredWith(c, i) })),
          usage: { inputTokens: 1, outputTokens: 1 },
          scoredWith: { model: request.scoreWith, version, tokenizersMatch },
        } as GenerateResponse;
      },
    });
    const likelihood = strictMock<LikelihoodClient>({
      score: async (_model, items) => {
        const ids = items.map((i) => i.continuationIds!);
        scored.push(...ids);
        // G gives every token probability 1/4.
        return { model: 'g', version: '1', results: ids.map((seq) => ({ sumLogprob: -seq.length * Math.log(4), numTokens: seq.length, tokens: seq.map((id) => ({ id, text: '', logprob: -Math.log(4) })), truncatedContextTokens: 0 })) } as unknown as ScoreResponse;
      },
    });
    // G by name (resolved here), or by the version the generation service scored with.
    const modelFacts = strictMock<ModelFactsService>({
      get: async (ref: string) => (ref === 'l@7' ? facts('l@7') : ref === 'g' ? guide : ref.startsWith('g@') ? { ...guide, ref } : Promise.reject(new Error(`unexpected facts lookup ${ref}`))),
    });
    // Rectified draws: the same completions, with per-draw diagnostics (their samplingLogprob is what L' gave them).
    const rectifier = strictMock<RectifierClient>({
      generate: async (request) => {
        stageCalls.push(`rectify ${request.rectifier} ε=${request.epsilon}`);
        const drawn = completions.slice(0, request.n ?? 1).map((c, i) => ({ ...c, rectification: { tokensCapped: i, massMoved: i / 10, deadEndSteps: 0 } }));
        return { model: request.model, version: '7', completions: drawn, usage: { inputTokens: 1, outputTokens: 1 }, rectifier: `${request.rectifier}@1`, epsilon: request.epsilon ?? 0.1, capMode: 'relative' } as RectifiedGenerateResponse;
      },
    });
    // A reward head that prefers longer answers; a calibrator that is 0.25 sure of everything.
    const rewards = strictMock<RewardHeadClient>({
      score: async (request) => {
        stageCalls.push(`rerank ${request.candidates.join('|')}`);
        return { head: { name: request.head, version: '1' }, model: 'l@7', rewards: request.candidates.map((c) => c.length) };
      },
    });
    const calibrator = strictMock<CalibratorClient>({
      confidence: async (request) => {
        stageCalls.push(`confidence ${request.question} → ${request.answers.join('|')}`);
        return { calibrator: { name: request.calibrator, version: '1' }, model: 'l@7', results: request.answers.map(() => ({ pCorrect: 0.25, method: 'probe-ts', calibratorVersion: '1' })) };
      },
    });
    return new CertifyService(generation, rectifier, likelihood, new CertifyStagesService(rewards, calibrator), modelFacts, { certifier: { maxT: 16 } } as AssayConfig);
  }

  const request = (overrides: Partial<CertifyRequest> = {}): CertifyRequest => CertifyRequestSchema.parse({ model: 'l', guide: 'g', prompt: 'x', k: 64, T: 4, ...overrides });

  it('rejects empty, non-canonical and non-finite draws before G is asked, and accepts the first canonical one', async () => {
    const response = await sut([
      draw([], { eos: true }), // empty answer
      draw([3], { eos: true }), // a lone 0xC3 byte: U+FFFD
      draw([0], { logprob: Number.NaN }), // what a subnormal temperature used to produce
      draw([0, 1]), // "ab" spelled "a"+"b"
    ]).certify(request({ T: 5 }));
    expect(response.status).toBe('abstained');
    expect(response.attempts.map((a) => a.rejection)).toEqual(['empty', 'not-canonical', 'non-finite', 'not-canonical']);
    expect(scored).toEqual([]);
    expect(CertifyResponseSchema.parse(response)).toEqual(response);

    const accepted = await sut([draw([3, 4]), draw([6], { eos: true }), draw([5])]).certify(request({ T: 3 }));
    expect(accepted).toMatchObject({ status: 'accepted', text: 'é' });
    expect(accepted.attempts.map((a) => [a.accepted, a.rejection])).toEqual([[false, 'not-canonical'], [true, undefined], [true, undefined]]);
    expect(scored).toEqual([[6], [5]]);
    // log2 ε = 64·1 + log2 3 + log2(1/4): vacuous, and finite.
    expect(accepted.certificate).toMatchObject({ nTokens: 1, vacuous: true, tokenizersMatch: true, log2L: -1 / Math.LN2 });
    expect(accepted.certificate!.log2Epsilon).toBeCloseTo(64 + Math.log2(3) - 2, 12);
  });

  it('never accepts a draw whose L log-probability is not finite, on any path', async () => {
    for (const logprob of [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      const response = await sut([draw([0], { logprob })]).certify(request({ T: 1 }));
      expect(response.status).toBe('abstained');
      expect(response.attempts[0]).toMatchObject({ rejection: 'non-finite', log2L: null, log2G: null, log2Epsilon: null });
      expect(CertifyResponseSchema.parse(response)).toEqual(response);
    }
  });

  it('with two tokenizers, a draw G makes nothing of, or longer than G\'s context, is rejected, not fatal', async () => {
    const guide = facts('g@1', G_TOKENIZER, 4, 'g-tokenizer');
    const response = await sut([draw([1]), draw([0, 2, 0, 2, 0]), draw([2, 0])], guide).certify(request({ T: 3 }));
    // "b": no G tokens; "a a a": 5 G tokens + BOS > 4 positions; " a": G scores [Ġ, a].
    expect(response.attempts.map((a) => [a.rejection, a.nTokens])).toEqual([['guide-empty', 0], ['guide-context', 5], [undefined, 2]]);
    expect(response).toMatchObject({ status: 'accepted', text: ' a', certificate: { tokenizersMatch: false, nTokens: 2, perTokenLog2Ratio: [] } });
    expect(scored).toEqual([[1, 0]]);
  });

  it("uses G's scores made by the generation service in the same call only when they are for the judged G version and ids", async () => {
    // "a" and "ab a" (ids 0 | 5 2 0), the second ending with EOS, which neither side scores.
    const draws = [draw([0]), draw([5, 2, 0], { eos: true })];
    const same = await sut(draws, facts('g@1'), { version: '1', tokenizersMatch: true }).certify(request({ T: 2, k: -64 }));
    expect(generateRequests).toEqual([{ scoreWith: 'g' }]);
    expect(scored).toEqual([]); // no likelihood call
    expect(same.attempts.map((a) => [a.nTokens, a.log2G])).toEqual([[1, -1], [3, -3]]);

    const sequential = await sut(draws, facts('g@1'), { version: '1', tokenizersMatch: true }).certify(request({ T: 2, k: 1, mode: 'sequential' }));
    expect(generateRequests).toEqual([{ scoreWith: 'g' }]);
    expect(scored).toEqual([]);
    // log2 L − log2 G = −1/ln 2 + 1 ≤ k·1; log2 ε = 1 + log2 2 − 1, per-token ratio from the generation's G log-prob.
    expect(sequential).toMatchObject({ status: 'accepted', text: 'a', certificate: { log2G: -1, log2Epsilon: 1 } });
    expect(sequential.certificate!.perTokenLog2Ratio[0]).toBeCloseTo(-1 / Math.LN2 + 1, 14);

    // Another G version than the one judged (re-registered between two sequential rounds: the judge is the first
    // round's), tokenizers the generation service found different, or a draw it did not score: those draws go to the
    // likelihood service (G = 1/4 per token there), under the judged version.
    const moved = await sut(draws, facts('g@1'), { version: ['1', '2'], tokenizersMatch: true }).certify(request({ T: 2, k: -64, mode: 'sequential' }));
    expect(generateRequests).toHaveLength(2);
    expect(scored).toEqual([[0]]);
    expect(moved.attempts.map((a) => a.log2G)).toEqual([-1, -2]);
    await sut(draws, facts('g@1'), { version: '1', tokenizersMatch: false }).certify(request({ T: 2, k: -64 }));
    expect(scored).toEqual([[0], [5, 2, 0]]);
    const partly = await sut(draws, facts('g@1'), { version: '1', tokenizersMatch: true, unscored: [1] }).certify(request({ T: 2, k: -64 }));
    expect(scored).toEqual([[5, 2, 0]]);
    expect(partly.attempts.map((a) => a.log2G)).toEqual([-1, -6]);

    // With two tokenizers (G's ids are its own encoding), the generation's scores of L's ids are never used.
    const other = await sut([draw([2, 0])], facts('g@1', G_TOKENIZER, 64, 'g-tokenizer'), { version: '1', tokenizersMatch: true }).certify(request({ T: 1, k: -64 }));
    expect(scored).toEqual([[1, 0]]);
    expect(other.attempts[0].log2G).toBe(-4);

    // Rectified draws come from the rectifier, which does not score: G is asked through the likelihood service.
    await sut(draws, facts('g@1'), { version: '1', tokenizersMatch: true }).certify(request({ T: 2, k: -64, rectifier: { name: 'q' } }));
    expect(generateRequests).toEqual([]);
    expect(scored).toEqual([[0], [5, 2, 0]]);
  });

  it('a certificate beyond the float range has no epsilon (null), a finite log2 ε, and is vacuous', async () => {
    const response = await sut([draw(Array(20).fill(0))], facts('g@1')).certify(request({ T: 1 }));
    // log2 ε = 64·20 − 40 > 1024: 2^log2ε overflows.
    expect(response.certificate).toMatchObject({ log2Epsilon: 64 * 20 - 40, epsilon: null, vacuous: true });
    expect(CertifyResponseSchema.parse(response)).toEqual(response);
    const small = await sut([draw([0])]).certify(request({ T: 1, k: 1 }));
    expect(small.certificate).toMatchObject({ vacuous: false });
    expect(small.certificate!.epsilon).toBeCloseTo(2 ** (1 - 2), 15);
  });

  it('maxLog2Epsilon rejects draws whose certificate is above it, and keeps the rest', async () => {
    // "a": log2 ε = k − 2 = 2; "ab a": N = 3, log2 ε = 3k − 6 = 6 at k = 4.
    const capped = await sut([draw([5, 2, 0]), draw([0])]).certify(request({ T: 2, k: 4, maxLog2Epsilon: 3 }));
    expect(capped.attempts.map((a) => [a.accepted, a.rejection, a.log2Epsilon])).toEqual([[false, 'epsilon-cap', 3 * 4 + 1 - 6], [true, undefined, 4 + 1 - 2]]);
    expect(capped.text).toBe('a');
    expect(capped.certificate!.log2Epsilon).toBeLessThanOrEqual(3);
  });
  it('composes the stages: rectified draws, reranking among the accepted draws only, and the confidence of the returned answer', async () => {
    // Draw 0 is rejected (a lone byte) although it is the longest; 1 ("a") and 2 ("ab a") are accepted.
    const draws = [draw([3, 4, 3]), draw([0], { eos: true }), draw([5, 2, 0])];
    const plain = await sut(draws).certify(request({ T: 3 }));
    expect(plain).toMatchObject({ status: 'accepted', text: 'a', chosen: 1, stages: ['sample', 'certify'] });
    expect(plain).not.toHaveProperty('reward');
    expect(stageCalls).toEqual([]);

    const composed = await sut(draws).certify(request({ T: 3, rectifier: { name: 'q', epsilon: 0.2 }, rerank: { head: 'rm' }, confidence: { calibrator: 'cal' } }));
    expect(CertifyResponseSchema.parse(composed)).toEqual(composed);
    // Only the accepted draws were scored by the head; the longest accepted one wins and carries its own certificate.
    expect(stageCalls).toEqual(['rectify q ε=0.2', 'rerank a|ab a', 'confidence x → ab a']);
    expect(composed).toMatchObject({ status: 'accepted', text: 'ab a', chosen: 2, reward: 4, pCorrect: 0.25, stages: ['rectify', 'certify', 'rerank', 'confidence'] });
    expect(composed.rectification).toEqual({ tokensCapped: 2, massMoved: 0.2, deadEndSteps: 0 });
    expect(composed.certificate!.log2Epsilon).toBe(composed.attempts[2].log2Epsilon);
    expect(composed.certificate!.nTokens).toBe(3);

    // Nothing accepted: no reward head or calibrator call, nulls in the reply.
    const refused = await sut(draws).certify(request({ T: 3, k: -64, rerank: { head: 'rm' }, confidence: { calibrator: 'cal' } }));
    expect(refused).toMatchObject({ status: 'abstained', reward: null, pCorrect: null, stages: ['sample', 'certify', 'rerank', 'confidence'] });
    expect(stageCalls).toEqual([]);

    // Sequential mode with reranking draws all T (the first acceptance does not stop it) and asks for the last user turn.
    const sequential = await sut([draw([0], { eos: true })]).certify(
      request({ prompt: undefined, messages: [{ role: 'user', content: 'q?' }, { role: 'assistant', content: 'a' }], T: 2, mode: 'sequential', rerank: { head: 'rm' }, confidence: { calibrator: 'cal' } }),
    );
    expect(sequential.attempts).toHaveLength(2);
    expect(stageCalls).toEqual(['rerank a|a', 'confidence q? → a']);
  });
});
