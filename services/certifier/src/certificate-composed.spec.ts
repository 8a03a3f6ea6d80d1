import { boundQ, rectifyLogits } from '@assay/stats';
import { GptWeights } from '@assay/forge';
import { allResponses, completionOf, L_BOS, L_EOS, L_TOKENIZER, logitRows, logprobs, tinyModel } from '../test/tiny-models';
import { AcceptedDraw, Draw, judgeDraws, prepareDraw, rerankAccepted, scoreDraw } from './certify-attempts';

/**
 * The certificate of a composed certification (README "Composed certification"), checked exactly by enumerating every
 * response of random small GPTs within MAX_NEW tokens:
 *
 * - **Rectified sampling**: the T draws come from L', L's next-token distributions water-filled under dead-end caps
 *   from a Q model (`rectifyLogits` of @assay/stats, the rectifier's own step), and the L log-probability in the
 *   ratio is the rectified sampling log-probability (what the rectifier reports as `samplingLogprob`). Then
 *   M(y|x) ≤ T·L'(y|x)·1[accepted] ≤ ε_y = T·2^{k·N_y}·G(y). A control judges the same draws with L's unrectified
 *   log-probability: rectification moves mass onto some y, and at a tight k the bound breaks.
 * - **Reward reranking**: among the accepted draws the one with the highest reward (`rerankAccepted`, the certify
 *   path's code). Its exact law, for rewards distinct between texts, is
 *   P(output = y) = (1 − A_>(y))^T − (1 − A_>(y) − L'(y|x))^T for accepted y, with A_>(y) the L'-mass of accepted
 *   responses of higher reward; it must stay ≤ ε_y. The closed form itself is confirmed by enumerating every pair
 *   of draws at T = 2 through judgeDraws and rerankAccepted. Two heads: a pseudo-random one, and an adversarial one
 *   that prefers the most out-of-domain text (the largest ratio), which would pick rejected draws if it could.
 */
const PROMPTS = [[L_BOS, 0, 1], [L_BOS, 6, 5, 0, 2]];
const KS = [-2, -0.5, 0, 1];
const TS = [1, 4];
/** Rectifier margins ε (undefined: plain L), absolute caps, EOS exempt in one of them. */
const RECTIFIERS: Array<{ epsilon: number; exemptEos: boolean } | undefined> = [undefined, { epsilon: 0.3, exemptEos: true }, { epsilon: 0.8, exemptEos: false }];
const GUIDE = { encode: (t: string) => L_TOKENIZER.encode(t), contextLength: 16 };

interface Row {
  text: string;
  /** log2 of the sampling distribution (L or L') of the whole response, EOS included. */
  log2P: number;
  /** The draw judged with the sampling log-probability, and (control) with L's unrectified one. */
  draw: Draw;
  rawDraw: Draw;
  gain: number;
}

/** Every response of L (or L') at x, with its rectified and unrectified per-token log-probabilities, judged by the certifier's code. */
function enumerate(large: GptWeights, guide: GptWeights, q: GptWeights, prompt: number[], rectifier: (typeof RECTIFIERS)[number]): { rows: Row[]; deadEnds: number } {
  const cache = new Map<string, { sumLogprob: number; tokens: Array<{ logprob: number }> }>();
  const guideScore = (ids: number[]) => {
    const key = ids.join(',');
    if (!cache.has(key)) {
      const lnG = logprobs(guide, [L_BOS, ...ids], 1, guide.shape.vocabSize);
      cache.set(key, { sumLogprob: lnG.reduce((s, v) => s + v, 0), tokens: lnG.map((logprob) => ({ logprob })) });
    }
    return cache.get(key)!;
  };
  const judge = (ids: number[], finish: 'eos' | 'length', ln: number[]): Draw => {
    const prepared = prepareDraw(completionOf(ids, finish, ln), L_TOKENIZER, GUIDE, true);
    return scoreDraw(prepared, prepared.rejection === undefined ? guideScore(prepared.guideIds) : undefined, true);
  };
  let deadEnds = 0;
  const rows = allResponses().map(({ ids, finish }) => {
    const full = [...prompt, ...ids];
    const lnL = logprobs(large, full, prompt.length, L_BOS);
    let lnP = lnL;
    if (rectifier) {
      const qRows = logitRows(q, full, prompt.length, L_BOS);
      lnP = logitRows(large, full, prompt.length, L_BOS).map((row, t) => {
        const step = rectifyLogits(row, qRows[t].map(boundQ), { epsilon: rectifier.epsilon, exemptTokens: rectifier.exemptEos ? [L_EOS] : undefined });
        if (step.deadEnd) deadEnds++;
        return step.logProbs[ids[t]];
      });
    }
    const sum = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.LN2;
    return { text: completionOf(ids, finish, lnP).text, log2P: sum(lnP), draw: judge(ids, finish, lnP), rawDraw: judge(ids, finish, lnL), gain: sum(lnP) - sum(lnL) };
  });
  return { rows, deadEnds };
}

interface Judged {
  text: string;
  p: number;
  accepted: boolean;
  log2Epsilon: number;
  ratio: number;
}

function judgeAll(rows: Row[], k: number, T: number, which: 'draw' | 'rawDraw'): Judged[] {
  return rows.map((r) => {
    const d = r[which];
    const { chosen } = judgeDraws([d], k, T);
    const ratio = d.rejection === undefined ? (d.scores.log2L - d.scores.log2G) / d.scores.nTokens : -Infinity;
    return { text: r.text, p: 2 ** r.log2P, accepted: chosen !== null, log2Epsilon: chosen?.log2Epsilon ?? NaN, ratio };
  });
}

/** First accepted of T i.i.d. draws: M(y|x) = p(y)·acc(y)·(1 − (1 − a)^T)/a. */
function firstAcceptedLaw(rows: Judged[], T: number): number[] {
  const a = rows.reduce((s, r) => s + (r.accepted ? r.p : 0), 0);
  return rows.map((r) => (r.accepted && a > 0 ? (r.p * (1 - (1 - a) ** T)) / a : 0));
}

/** Highest reward among the accepted of T i.i.d. draws (rewards distinct between accepted texts). */
function rerankLaw(rows: Judged[], rewards: number[], T: number): number[] {
  const accepted = rows.map((r, i) => ({ r, i, reward: rewards[i] })).filter((x) => x.r.accepted);
  const law = rows.map(() => 0);
  for (const { r, i, reward } of accepted) {
    const above = accepted.reduce((s, x) => s + (x.reward > reward ? x.r.p : 0), 0);
    law[i] = (1 - above) ** T - (1 - above - r.p) ** T;
  }
  return law;
}

/** A deterministic pseudo-random reward of a text (FNV-1a), as a reward head is a function of (x, y). */
function hashReward(text: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
  return (h >>> 0) / 2 ** 32;
}

const HEADS: Array<[string, (rows: Judged[], i: number) => number]> = [
  ['pseudo-random head', (rows, i) => hashReward(rows[i].text, 7)],
  ['adversarial head (prefers the largest ratio)', (rows, i) => rows[i].ratio],
];

describe('certificate of composed certification (rectified sampling, reward reranking), exhaustively', () => {
  it.each([21, 22])('M(y|x) ≤ ε_y with rectified draws, first-accepted and reranked, for every prompt, response, k and T (models seeded %i)', (seed) => {
    const large = tinyModel(L_BOS + 1, seed);
    const guide = tinyModel(L_BOS + 1, seed + 100);
    const q = tinyModel(L_BOS + 1, seed + 200);
    const violations: string[] = [];
    let emitted = 0;
    let tightest = -Infinity;
    let controlViolations = 0;
    let deadEndSteps = 0;
    for (const prompt of PROMPTS) {
      for (const rectifier of RECTIFIERS) {
        const { rows, deadEnds } = enumerate(large, guide, q, prompt, rectifier);
        deadEndSteps += deadEnds;
        expect(rows.reduce((s, r) => s + 2 ** r.log2P, 0)).toBeCloseTo(1, 9); // L' is a distribution, enumerated completely
        // Tight ks for the control: the ratios of the responses rectification favours most.
        const favoured = [...rows].filter((r) => r.rawDraw.rejection === undefined).sort((a, b) => b.gain - a.gain).slice(0, 4);
        const tight = rectifier ? favoured.map((r) => (r.rawDraw.rejection === undefined ? (r.rawDraw.scores.log2L - r.rawDraw.scores.log2G) / r.rawDraw.scores.nTokens : 0)) : [];
        for (const k of [...KS, ...tight]) {
          for (const T of TS) {
            const judged = judgeAll(rows, k, T, 'draw');
            const where = `prompt ${prompt}, rectifier ${JSON.stringify(rectifier)}, k ${k}, T ${T}`;
            const laws: Array<[string, number[]]> = [['first accepted', firstAcceptedLaw(judged, T)]];
            for (const [name, head] of HEADS) {
              const rewards = judged.map((_, i) => head(judged, i));
              const acceptedRewards = judged.flatMap((r, i) => (r.accepted ? [rewards[i]] : []));
              if (new Set(acceptedRewards).size !== acceptedRewards.length) violations.push(`${where}, ${name}: tied rewards (the closed form assumes none)`);
              laws.push([name, rerankLaw(judged, rewards, T)]);
            }
            const emitProbability = 1 - (1 - judged.reduce((s, r) => s + (r.accepted ? r.p : 0), 0)) ** T;
            for (const [name, law] of laws) {
              if (Math.abs(law.reduce((s, v) => s + v, 0) - emitProbability) > 1e-9) violations.push(`${where}, ${name}: the law does not sum to P(emit)`);
              law.forEach((m, i) => {
                if (m === 0) return;
                if (!judged[i].accepted) violations.push(`${where}, ${name}: a rejected response is emitted`);
                emitted++;
                const log2M = Math.log2(m);
                if (log2M > judged[i].log2Epsilon + 1e-9) violations.push(`${where}, ${name}: M(y|x) > ε_y for ${JSON.stringify(judged[i].text)}`);
                if (m > T * judged[i].p + 1e-12) violations.push(`${where}, ${name}: M(y|x) > T·L'(y|x)`);
                tightest = Math.max(tightest, log2M - judged[i].log2Epsilon);
              });
            }
            if (rectifier) {
              // Control: judging rectified draws with L's unrectified log-probability voids the bound.
              const raw = judgeAll(rows, k, T, 'rawDraw').map((r, i) => ({ ...r, p: judged[i].p }));
              firstAcceptedLaw(raw, T).forEach((m, i) => {
                if (m > 0 && Math.log2(m) > raw[i].log2Epsilon + 1e-9) controlViolations++;
              });
            }
          }
        }
      }
    }
    expect(violations).toEqual([]);
    expect(emitted).toBeGreaterThan(500);
    expect(tightest).toBeGreaterThan(-4); // not vacuous: within a factor of 16 somewhere
    expect(deadEndSteps).toBeGreaterThan(0); // the dead-end fallback is exercised
    expect(controlViolations).toBeGreaterThan(0);
  });

  it('the closed form of the reranked law equals enumeration of every pair of draws through judgeDraws and rerankAccepted (T = 2)', () => {
    const large = tinyModel(L_BOS + 1, 31);
    const guide = tinyModel(L_BOS + 1, 131);
    const q = tinyModel(L_BOS + 1, 231);
    const { rows } = enumerate(large, guide, q, PROMPTS[0], RECTIFIERS[1]);
    const k = 0;
    const judged = judgeAll(rows, k, 2, 'draw');
    const rewards = judged.map((r) => hashReward(r.text, 7));
    const law = rerankLaw(judged, rewards, 2);
    const enumerated = rows.map(() => 0);
    let abstain = 0;
    // Only draws with mass matter; judge each once, then every ordered pair.
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows.length; j++) {
        const verdict = judgeDraws([rows[i].draw, rows[j].draw], k, 2);
        const chosen = rerankAccepted(verdict, verdict.accepted.map((a) => rewards[a.index === 0 ? i : j]));
        const p = judged[i].p * judged[j].p;
        if (chosen === null) abstain += p;
        else enumerated[chosen.index === 0 ? i : j] += p;
      }
    }
    law.forEach((m, i) => expect(Math.abs(enumerated[i] - m)).toBeLessThan(1e-12));
    expect(abstain).toBeCloseTo((1 - judged.reduce((s, r) => s + (r.accepted ? r.p : 0), 0)) ** 2, 12);
    expect(law.filter((m) => m > 0).length).toBeGreaterThan(5);
  });
});

describe('reward reranking never returns a rejected draw', () => {
  const large = tinyModel(L_BOS + 1, 41);
  const guide = tinyModel(L_BOS + 1, 141);
  const q = tinyModel(L_BOS + 1, 241);
  const { rows } = enumerate(large, guide, q, PROMPTS[1], RECTIFIERS[2]);

  it('over 5,000 random sets of T = 4 draws with random rewards (rewards are asked for accepted draws only)', () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let withAccepted = 0;
    let withRejected = 0;
    for (let trial = 0; trial < 5000; trial++) {
      const k = [-1, 0, 1][trial % 3];
      const draws = Array.from({ length: 4 }, () => rows[Math.floor(next() * rows.length)].draw);
      const verdict = judgeDraws(draws, k, 4);
      const rewards = verdict.accepted.map(() => next());
      const chosen: AcceptedDraw | null = rerankAccepted(verdict, rewards);
      if (verdict.attempts.some((a) => !a.accepted)) withRejected++;
      if (verdict.accepted.length === 0) {
        expect(chosen).toBeNull();
        continue;
      }
      withAccepted++;
      expect(chosen).not.toBeNull();
      expect(verdict.attempts[chosen!.index].accepted).toBe(true);
      expect(chosen!.draw).toBe(draws[chosen!.index]);
    }
    expect(withAccepted).toBeGreaterThan(500);
    expect(withRejected).toBeGreaterThan(500);
  });

  it('prefers the highest reward, falls back to draw order for ties and non-finite rewards, and checks alignment', () => {
    const accepted = rows.filter((r) => judgeDraws([r.draw], 2, 4).accepted.length === 1).slice(0, 3).map((r) => r.draw);
    expect(accepted).toHaveLength(3);
    const verdict = judgeDraws(accepted, 2, 4);
    expect(rerankAccepted(verdict, [0.1, 0.9, 0.5])!.index).toBe(1);
    expect(rerankAccepted(verdict, [0.5, 0.5, 0.5])!.index).toBe(0);
    expect(rerankAccepted(verdict, [NaN, Infinity, 0.2])!.index).toBe(2);
    expect(rerankAccepted(verdict, [NaN, NaN, NaN])!.index).toBe(0);
    expect(() => rerankAccepted(verdict, [1, 2])).toThrow(RangeError);
    expect(rerankAccepted(judgeDraws([], 0, 4), [])).toBeNull();
  });
});
