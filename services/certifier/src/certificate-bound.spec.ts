import { Completion } from '@assay/contracts';
import { GptWeights, randomGptWeights, referenceForward } from '@assay/forge';
import { selectFirstAccepted } from '@assay/stats';
import { attemptScores, responseTokens } from './certify-attempts';

/**
 * The theorem behind every certificate (spec §2), checked exactly on random small GPTs by enumerating every
 * response L can give within `MAX_NEW` tokens: for every prompt x and response y,
 *   M(y|x) = L(y|x)·acc(y)·(1 − (1 − a_x)^T)/a_x  ≤  ε_y = 2^{k·N_y} · T · G(y),
 * where a_x is the acceptance rate at x, and acc, N_y, log2 G and ε_y come from the certify path's own code
 * (attemptScores, selectFirstAccepted). Both scoring paths: G on L's token ids, and G on its own tokenization
 * of the decoded text.
 */
const MAX_NEW = 4;
/** L's vocabulary: four text tokens (two of them spell the same text as a pair of others), EOS, BOS. */
const L_TEXT = ['a', 'b', 'ab', ' '];
const L_EOS = 4;
const L_BOS = 5;
/** G's own vocabulary for the different-tokenizer path: characters, EOS, BOS. */
const G_CHARS = ['a', 'b', ' '];
const G_BOS = 4;
const PROMPTS = [[L_BOS, 0, 1], [L_BOS, 3], [L_BOS, 2, 2, 0, 3]];
const KS = [-3, -1, -0.25, 0, 0.5, 2];
const TS = [1, 4];

function model(vocabSize: number, seed: number): GptWeights {
  return randomGptWeights({ vocabSize, contextLength: 16, layers: 1, heads: 2, dim: 16, layerNormEps: 1e-5 }, seed, { std: 0.8, randomizeAffine: true });
}

/** Natural-log probabilities of `ids[from..]` given the tokens before each, over `allowed` ids only. */
function logprobs(weights: GptWeights, ids: number[], from: number, allowed: number): number[] {
  const V = weights.shape.vocabSize;
  const { logits } = referenceForward(weights, { inputIds: [ids] });
  const out: number[] = [];
  for (let t = from; t < ids.length; t++) {
    const row = Array.from(logits.subarray((t - 1) * V, (t - 1) * V + allowed));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    out.push(row[ids[t]] - lse);
  }
  return out;
}

/** Every response of at most MAX_NEW tokens: text tokens then EOS, or MAX_NEW text tokens (cut by length). */
function allResponses(): Array<{ ids: number[]; finish: 'eos' | 'length' }> {
  const out: Array<{ ids: number[]; finish: 'eos' | 'length' }> = [];
  const grow = (prefix: number[]) => {
    if (prefix.length === MAX_NEW) return out.push({ ids: prefix, finish: 'length' });
    out.push({ ids: [...prefix, L_EOS], finish: 'eos' });
    for (let tok = 0; tok < L_TEXT.length; tok++) grow([...prefix, tok]);
  };
  grow([]);
  return out;
}

interface Outcome {
  text: string;
  log2L: number;
  accepted: boolean;
  log2Epsilon: number;
}

interface Scored {
  text: string;
  log2L: number;
  empty: boolean;
  scores: ReturnType<typeof attemptScores>;
}

/** Every response of L at x, scored by L and G as the certifier's code scores an attempt. */
function scoredResponses(large: GptWeights, guide: GptWeights, prompt: number[], tokenizersMatch: boolean): Scored[] {
  return allResponses().map(({ ids, finish }) => {
    // L samples from its softmax over everything but BOS, so that is L(·|x) (pitfall 4: score what is sampled).
    const lnL = logprobs(large, [...prompt, ...ids], prompt.length, L_BOS);
    const completion: Completion = {
      promptIndex: 0,
      sampleIndex: 0,
      text: ids.filter((i) => i !== L_EOS).map((i) => L_TEXT[i]).join(''),
      tokens: ids.map((id, i) => ({ id, text: id === L_EOS ? '' : L_TEXT[id], logprob: lnL[i], samplingLogprob: lnL[i] })),
      finishReason: finish,
    };
    const response = responseTokens(completion);
    const guideIds = tokenizersMatch ? response.map((t) => t.id) : [...completion.text].map((c) => G_CHARS.indexOf(c));
    const bos = tokenizersMatch ? L_BOS : G_BOS;
    const lnG = guideIds.length ? logprobs(guide, [bos, ...guideIds], 1, guide.shape.vocabSize) : [];
    const scores = attemptScores(completion, { sumLogprob: lnG.reduce((s, v) => s + v, 0), numTokens: lnG.length, tokens: lnG.map((logprob) => ({ logprob })) }, tokenizersMatch);
    return { text: completion.text, log2L: lnL.reduce((s, v) => s + v, 0) / Math.LN2, empty: response.length === 0, scores };
  });
}

/** VALID's verdict and certificate for each response at (k, T), from the certifier's selection code. */
function outcomes(scored: Scored[], k: number, T: number): Outcome[] {
  return scored.map(({ text, log2L, empty, scores }) => {
    const verdict = selectFirstAccepted([scores], k, T);
    // As in CertifyService, an empty answer is never accepted.
    return { text, log2L, accepted: verdict.status === 'accepted' && !empty, log2Epsilon: verdict.attempts[0].certificateLog2 };
  });
}

/** Exact law of VALID's output: first accepted of up to T i.i.d. draws (batched or sequential alike). */
function metaModel(rows: Outcome[], T: number): { log2M: number[]; emitProbability: number } {
  const a = rows.reduce((s, r) => s + (r.accepted ? 2 ** r.log2L : 0), 0);
  const factor = a > 0 ? (1 - (1 - a) ** T) / a : 0;
  return { log2M: rows.map((r) => (r.accepted && a > 0 ? r.log2L + Math.log2(factor) : -Infinity)), emitProbability: 1 - (1 - a) ** T };
}

describe.each([
  ['matching tokenizers (G rescores L\'s ids)', true],
  ['different tokenizers (G re-tokenizes the text)', false],
])('VALID certificate bound, exhaustively, %s', (_name, tokenizersMatch) => {
  it.each([11, 12, 13])('M(y|x) ≤ ε_y for every prompt, response, k and T (models seeded %i)', (seed) => {
    const large = model(L_TEXT.length + 2, seed);
    const guide = model(tokenizersMatch ? L_TEXT.length + 2 : G_CHARS.length + 2, seed + 100);
    let tightest = -Infinity;
    let acceptedSomewhere = 0;
    for (const prompt of PROMPTS) {
      const scored = scoredResponses(large, guide, prompt, tokenizersMatch);
      for (const k of KS) {
        for (const T of TS) {
          const rows = outcomes(scored, k, T);
          expect(rows.reduce((s, r) => s + 2 ** r.log2L, 0)).toBeCloseTo(1, 9); // the enumeration is complete
          const { log2M, emitProbability } = metaModel(rows, T);
          expect(log2M.reduce((s, v) => s + 2 ** v, 0)).toBeCloseTo(emitProbability, 9);
          rows.forEach((row, i) => {
            if (log2M[i] === -Infinity) return;
            acceptedSomewhere++;
            expect(log2M[i]).toBeLessThanOrEqual(row.log2Epsilon + 1e-9);
            tightest = Math.max(tightest, log2M[i] - row.log2Epsilon);
          });
          if (!tokenizersMatch) {
            // Output text: several L token sequences spell one text ("ab" = "a"+"b"), each with its own bound, so
            // M(text|x) ≤ (number of accepted spellings) · ε_text.
            const byText = new Map<string, { m: number; count: number; log2Epsilon: number }>();
            rows.forEach((row, i) => {
              if (log2M[i] === -Infinity) return;
              const entry = byText.get(row.text) ?? { m: 0, count: 0, log2Epsilon: row.log2Epsilon };
              expect(row.log2Epsilon).toBeCloseTo(entry.log2Epsilon, 9); // ε depends on the text only
              byText.set(row.text, { m: entry.m + 2 ** log2M[i], count: entry.count + 1, log2Epsilon: entry.log2Epsilon });
            });
            for (const { m, count, log2Epsilon } of byText.values()) expect(Math.log2(m)).toBeLessThanOrEqual(Math.log2(count) + log2Epsilon + 1e-9);
          }
        }
      }
    }
    // Not vacuous: many responses are emitted, and for some the bound is within a factor of 2^4.
    expect(acceptedSomewhere).toBeGreaterThan(100);
    expect(tightest).toBeGreaterThan(-4);
  });
});
