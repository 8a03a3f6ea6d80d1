import { Completion } from '@assay/contracts';
import { SequenceScores } from '@assay/stats';

const LN2 = Math.LN2;

/**
 * Turns one completion of L and G's score of it into VALID's numbers (spec §3A). L's log-prob is the
 * sampling distribution's (temperature and top-k included, pitfall 4). The runtime reports EOS as the last
 * token of an answer that ended there; it is dropped, so N_y counts response tokens without EOS and both sums are prefix probabilities with
 * the EOS term dropped on both sides (pitfall 5). With different tokenizers, N_y and log2 G(y) are counted
 * in G's tokens, log2 L(y|x) in L's: each model is scored in its own token space (spec §3B), and N_y stays
 * a deterministic, x-independent function of y, which is all the bound needs (pitfall 2).
 */
export function responseTokens(completion: Completion): Completion['tokens'] {
  return completion.finishReason === 'eos' ? completion.tokens.slice(0, -1) : completion.tokens;
}

export function attemptScores(
  completion: Completion,
  guide: { sumLogprob: number; numTokens: number; tokens: Array<{ logprob: number }> },
  tokenizersMatch: boolean,
): SequenceScores & { perTokenLog2Ratio: number[] } {
  const tokens = responseTokens(completion);
  const log2L = tokens.reduce((sum, t) => sum + t.samplingLogprob, 0) / LN2;
  const log2G = guide.sumLogprob / LN2;
  const nTokens = tokenizersMatch ? tokens.length : guide.numTokens;
  const perTokenLog2Ratio = tokenizersMatch
    ? tokens.map((t, i) => (t.samplingLogprob - guide.tokens[i].logprob) / LN2)
    : [];
  return { log2L, log2G, nTokens, perTokenLog2Ratio };
}
