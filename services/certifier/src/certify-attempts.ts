import { Attempt, Completion, DrawRejection } from '@assay/contracts';
import { AcceptanceOptions, judgeAttempt, SequenceScores } from '@assay/stats';

const LN2 = Math.LN2;

/**
 * Turns L's draws and G's scores into VALID's verdicts (spec §2–§3), pure: the certify path and the exhaustive test
 * of the bound (certificate-bound.spec.ts) run this same code.
 *
 * - L's log-prob is the sampling distribution's (temperature and top-k included, pitfall 4). The runtime reports
 *   EOS as the last token of an answer that ended there; it is dropped, so N_y counts response tokens without EOS
 *   and both sums are prefix probabilities with the EOS term dropped on both sides (pitfall 5).
 * - With different tokenizers, N_y and log2 G(y) are counted in G's tokens, log2 L(y|x) in L's: each model is
 *   scored in its own token space (spec §3B), and N_y stays a deterministic, x-independent function of y (pitfall 2).
 * - **The certificate is for the text the client receives.** The bound holds per token sequence, and several of L's
 *   sequences can spell one text (a lone UTF-8 byte decodes to U+FFFD whatever the byte; "a"+"b" spells "ab"). A
 *   draw is accepted only if re-encoding its text gives back exactly its tokens, so each emitted text has exactly
 *   one sequence that can be accepted (the canonical one), and M(text|x) = M(that sequence|x) ≤ ε_text.
 * - A draw that cannot be judged (no text; G's tokenizer makes nothing of it; longer than G's context; a log-prob
 *   that is not a finite number) is rejected, never fatal: every rule depends on the draw alone, and rejecting a y
 *   only lowers M(y|x), so no rule weakens a bound.
 */
export function responseTokens(completion: Completion): Completion['tokens'] {
  return completion.finishReason === 'eos' ? completion.tokens.slice(0, -1) : completion.tokens;
}

/** What the draw judge needs of a model: its tokenizer's encoder and its context (positions, BOS included). */
export interface DrawModel {
  encode(text: string): number[];
  contextLength: number;
}

/** A draw ready for G (`guideIds` after BOS), or one rejected before G is asked. */
export type PreparedDraw =
  | { completion: Completion; rejection?: undefined; ids: number[]; guideIds: number[]; log2L: number }
  | { completion: Completion; rejection: DrawRejection; nTokens: number; log2L: number | null };

/** G's score of BOS + guideIds (natural-log probabilities). */
export interface GuideScore {
  sumLogprob: number;
  tokens: Array<{ logprob: number }>;
}

/** A judged draw: scored by both models, or rejected (with the scores it has). */
export type Draw =
  | { completion: Completion; rejection?: undefined; scores: SequenceScores; perTokenLog2Ratio: number[] }
  | { completion: Completion; rejection: DrawRejection; nTokens: number; log2L: number | null; log2G: number | null };

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The checks that need only L's draw and the two tokenizers, in the order they are made. */
export function prepareDraw(completion: Completion, large: Pick<DrawModel, 'encode'>, guide: DrawModel, tokenizersMatch: boolean): PreparedDraw {
  const tokens = responseTokens(completion);
  const ids = tokens.map((t) => t.id);
  const log2L = tokens.reduce((sum, t) => sum + t.samplingLogprob, 0) / LN2;
  const finiteL = Number.isFinite(log2L) ? log2L : null;
  const reject = (rejection: DrawRejection, nTokens = ids.length): PreparedDraw => ({ completion, rejection, nTokens, log2L: finiteL });
  // An empty answer is never accepted: its certificate would be vacuous.
  if (ids.length === 0 || completion.text.length === 0) return reject('empty');
  if (!sameIds(large.encode(completion.text), ids)) return reject('not-canonical');
  if (finiteL === null || finiteL > 1e-9) return reject('non-finite');
  const guideIds = tokenizersMatch ? ids : guide.encode(completion.text);
  if (guideIds.length === 0) return reject('guide-empty', 0);
  if (guideIds.length + 1 > guide.contextLength) return reject('guide-context', tokenizersMatch ? ids.length : guideIds.length);
  return { completion, ids, guideIds, log2L: finiteL };
}

/** A prepared draw with G's score of it (or its rejection carried over). */
export function scoreDraw(prepared: PreparedDraw, guide: GuideScore | undefined, tokenizersMatch: boolean): Draw {
  const { completion } = prepared;
  if (prepared.rejection !== undefined) return { completion, rejection: prepared.rejection, nTokens: prepared.nTokens, log2L: prepared.log2L, log2G: null };
  const nTokens = tokenizersMatch ? prepared.ids.length : prepared.guideIds.length;
  const log2G = guide ? guide.sumLogprob / LN2 : NaN;
  if (!guide || !Number.isFinite(log2G) || log2G > 1e-9 || guide.tokens.length !== prepared.guideIds.length) {
    return { completion, rejection: 'non-finite', nTokens, log2L: prepared.log2L, log2G: Number.isFinite(log2G) ? log2G : null };
  }
  const lnL = responseTokens(completion).map((t) => t.samplingLogprob);
  const perTokenLog2Ratio = tokenizersMatch ? lnL.map((l, i) => (l - guide.tokens[i].logprob) / LN2) : [];
  return { completion, scores: { log2L: prepared.log2L, log2G, nTokens }, perTokenLog2Ratio };
}

/** An accepted draw with its certificate. */
export interface AcceptedDraw {
  index: number;
  draw: Extract<Draw, { scores: SequenceScores }>;
  log2Epsilon: number;
}

export interface DrawsVerdict {
  /** The first accepted draw in draw order, or null (abstain). */
  chosen: AcceptedDraw | null;
  /** Every accepted draw, in draw order (the candidates reranking may choose among; never a rejected draw). */
  accepted: AcceptedDraw[];
  attempts: Attempt[];
}

/**
 * VALID's rejection loop over drawn (and judged) draws: the first accepted in draw order is emitted; every draw is
 * reported, with only finite numbers (absent ones are null). At most T draws: the certificate charges log2 T.
 */
export function judgeDraws(draws: readonly Draw[], k: number, T: number, options: AcceptanceOptions = {}): DrawsVerdict {
  if (draws.length > T) throw new RangeError(`${draws.length} draws exceed T = ${T}: the certificate only covers T draws`);
  const accepted: AcceptedDraw[] = [];
  const attempts = draws.map((draw, index): Attempt => {
    const finishReason = draw.completion.finishReason;
    if (draw.rejection !== undefined) {
      return { index, nTokens: draw.nTokens, log2L: draw.log2L, log2G: draw.log2G, log2Ratio: null, normalizedLog2Ratio: null, log2Epsilon: null, accepted: false, rejection: draw.rejection, finishReason };
    }
    const record = judgeAttempt(draw.scores, index, k, T, options);
    if (record.accepted) accepted.push({ index, draw, log2Epsilon: record.certificateLog2 });
    return {
      index,
      nTokens: record.nTokens,
      log2L: record.log2L,
      log2G: record.log2G,
      log2Ratio: record.log2Ratio,
      normalizedLog2Ratio: record.normalizedLog2Ratio,
      log2Epsilon: record.certificateLog2,
      accepted: record.accepted,
      ...(record.rejection ? { rejection: record.rejection } : {}),
      finishReason,
    };
  });
  return { chosen: accepted[0] ?? null, accepted, attempts };
}

/**
 * Reward reranking (`rerank: {head}`): among the **accepted** draws only, the one with the highest reward; ties and
 * non-finite rewards fall back to draw order (a draw whose reward is not a finite number is never preferred). `rewards`
 * are aligned with `verdict.accepted`. A rejected draw cannot be returned: it is not a candidate. So the output is
 * still some accepted draw, and P(output = y) ≤ P(some draw equals y and is accepted) ≤ T·L(y|x)·1[accepted]
 * ≤ ε_y (README "Composed certification").
 */
export function rerankAccepted(verdict: DrawsVerdict, rewards: readonly number[]): AcceptedDraw | null {
  if (rewards.length !== verdict.accepted.length) throw new RangeError(`${rewards.length} rewards for ${verdict.accepted.length} accepted draws`);
  let best: { draw: AcceptedDraw; reward: number } | null = null;
  verdict.accepted.forEach((draw, i) => {
    const reward = Number.isFinite(rewards[i]) ? rewards[i] : -Infinity;
    if (best === null || reward > best.reward) best = { draw, reward };
  });
  return (best as { draw: AcceptedDraw } | null)?.draw ?? null;
}
