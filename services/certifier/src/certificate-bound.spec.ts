import { Completion } from '@assay/contracts';
import { GptWeights } from '@assay/forge';
import { byteLevelTokenizer } from '../test/byte-level-tokenizer';
import { allResponses, completionOf, L_BOS, L_EOS, L_TEXT, L_TOKENIZER, logprobs, tinyModel } from '../test/tiny-models';
import { Draw, DrawModel, judgeDraws, prepareDraw, PreparedDraw, responseTokens, scoreDraw } from './certify-attempts';

/**
 * The theorem behind every certificate (spec §2), checked exactly on random small GPTs by enumerating every
 * response L can give within `MAX_NEW` tokens: for every prompt x and response y,
 *   M(y|x) = L(y|x)·acc(y)·(1 − (1 − a_x)^T)/a_x  ≤  ε_y = 2^{k·N_y} · T · G(y),
 * where a_x is the acceptance rate at x, and acc, N_y, log2 G and ε_y come from the certify path's own code
 * (prepareDraw, scoreDraw, judgeDraws) with real byte-level BPE tokenizers. Both scoring paths: G on L's token
 * ids, and G on its own tokenization of the decoded text.
 *
 * And for the **text** the client receives: L's vocabulary has lone UTF-8 byte fragments (0xC3 and 0xA9, each
 * decoding to U+FFFD alone, "é" together, as does their merge) and a merge ("ab" = "a"+"b"), so several token
 * sequences spell one text. Grouping L's responses by their text, M(text|x) ≤ ε_text must hold too; it does
 * because only the canonical spelling (the one re-encoding gives back) is ever accepted. A control run with
 * the round-trip rule switched off (the certifier before it) breaks the text-level bound.
 */
/** G's own vocabulary for the different-tokenizer path: the bytes, and another merge. */
const G_TEXT = ['a', 'b', 'Ġ', 'Ã', '©', 'Ġa'];
const G_MERGES = ['Ġ a'];
const G_BOS = G_TEXT.length + 1;
const PROMPTS = [[L_BOS, 0, 1], [L_BOS, 2], [L_BOS, 6, 5, 0, 2]];
const KS = [-3, -1, -0.25, 0, 0.5, 2];
const TS = [1, 4];
/** Certificate caps (maxLog2Epsilon) and G context lengths (positions, BOS included): both reject some draws. */
const CAPS = [undefined, -3];
const GUIDE_CONTEXTS = [16, 3];

const G_TOKENIZER = byteLevelTokenizer(G_TEXT, G_MERGES);
const model = tinyModel;

interface Response {
  completion: Completion;
  log2L: number;
  /** The draw as the certifier judges it, per G context length; `unchecked` skips the round-trip rule. */
  draws: Map<number, Draw>;
  unchecked: Draw;
}

/** Every response of L at x, prepared and scored by G exactly as the certifier does it. */
function responses(large: GptWeights, guide: GptWeights, prompt: number[], tokenizersMatch: boolean): Response[] {
  const guideTokenizer = tokenizersMatch ? L_TOKENIZER : G_TOKENIZER;
  const bos = tokenizersMatch ? L_BOS : G_BOS;
  const cache = new Map<string, { sumLogprob: number; tokens: Array<{ logprob: number }> }>();
  const guideScore = (ids: number[]) => {
    const key = ids.join(',');
    if (!cache.has(key)) {
      const lnG = logprobs(guide, [bos, ...ids], 1, guide.shape.vocabSize);
      cache.set(key, { sumLogprob: lnG.reduce((s, v) => s + v, 0), tokens: lnG.map((logprob) => ({ logprob })) });
    }
    return cache.get(key)!;
  };
  return allResponses().map(({ ids, finish }) => {
    // L samples from its softmax over everything but BOS, so that is L(·|x) (pitfall 4: score what is sampled).
    const lnL = logprobs(large, [...prompt, ...ids], prompt.length, L_BOS);
    const completion = completionOf(ids, finish, lnL);
    const draws = new Map<number, Draw>();
    for (const contextLength of GUIDE_CONTEXTS) {
      const prepared = prepareDraw(completion, L_TOKENIZER, { encode: (t) => guideTokenizer.encode(t), contextLength }, tokenizersMatch);
      draws.set(contextLength, scoreDraw(prepared, prepared.rejection === undefined ? guideScore(prepared.guideIds) : undefined, tokenizersMatch));
    }
    // The certifier before the round-trip rule: every non-empty draw went to G.
    const response = responseTokens(completion).map((t) => t.id);
    const guideIds = tokenizersMatch ? response : guideTokenizer.encode(completion.text);
    const uncheckedPrepared: PreparedDraw = { completion, ids: response, guideIds, log2L: lnL.slice(0, response.length).reduce((s, v) => s + v, 0) / Math.LN2 };
    const unchecked: Draw = response.length && guideIds.length ? scoreDraw(uncheckedPrepared, guideScore(guideIds), tokenizersMatch) : { completion, rejection: 'empty', nTokens: 0, log2L: null, log2G: null };
    return { completion, log2L: lnL.reduce((s, v) => s + v, 0) / Math.LN2, draws, unchecked };
  });
}

interface Outcome {
  text: string;
  log2L: number;
  accepted: boolean;
  log2Epsilon: number;
}

/** VALID's verdict and certificate for each response, from the certifier's judge. */
function outcomes(draws: Array<{ draw: Draw; text: string; log2L: number }>, k: number, T: number, maxLog2Epsilon?: number): Outcome[] {
  return draws.map(({ draw, text, log2L }) => {
    const { chosen } = judgeDraws([draw], k, T, { maxLog2Epsilon });
    return { text, log2L, accepted: chosen !== null, log2Epsilon: chosen?.log2Epsilon ?? NaN };
  });
}

/** Exact law of VALID's output: first accepted of up to T i.i.d. draws (batched or sequential alike). */
function metaModel(rows: Outcome[], T: number): { log2M: number[]; emitProbability: number } {
  const a = rows.reduce((s, r) => s + (r.accepted ? 2 ** r.log2L : 0), 0);
  const factor = a > 0 ? (1 - (1 - a) ** T) / a : 0;
  return { log2M: rows.map((r) => (r.accepted && a > 0 ? r.log2L + Math.log2(factor) : -Infinity)), emitProbability: 1 - (1 - a) ** T };
}

/** Per text the client can receive: M(text|x), the largest ε attached to it, and how many spellings were emitted. */
function byText(rows: Outcome[], log2M: number[]): Array<{ text: string; log2M: number; log2Epsilon: number; spellings: number }> {
  const groups = new Map<string, { m: number; log2Epsilon: number; spellings: number }>();
  rows.forEach((row, i) => {
    if (log2M[i] === -Infinity) return;
    const group = groups.get(row.text) ?? { m: 0, log2Epsilon: -Infinity, spellings: 0 };
    groups.set(row.text, { m: group.m + 2 ** log2M[i], log2Epsilon: Math.max(group.log2Epsilon, row.log2Epsilon), spellings: group.spellings + 1 });
  });
  return [...groups].map(([text, g]) => ({ text, log2M: Math.log2(g.m), log2Epsilon: g.log2Epsilon, spellings: g.spellings }));
}

/**
 * k values where some text's spellings are tight: for each text with several spellings, the largest normalised
 * ratio among them (at T = 1 the spelling with that ratio then has M(y|x) = ε_y exactly).
 */
function tightKs(all: Response[]): number[] {
  const ratios = new Map<string, number[]>();
  for (const r of all) {
    if (r.unchecked.rejection !== undefined) continue;
    const { log2L, log2G, nTokens } = r.unchecked.scores;
    ratios.set(r.completion.text, [...(ratios.get(r.completion.text) ?? []), (log2L - log2G) / nTokens]);
  }
  return [...new Set([...ratios.values()].filter((v) => v.length > 1).map((v) => Math.max(...v)))];
}

describe.each([
  ['matching tokenizers (G rescores L\'s ids)', true],
  ['different tokenizers (G re-tokenizes the text)', false],
])('VALID certificate bound, exhaustively, %s', (_name, tokenizersMatch) => {
  it.each([11, 12, 13])('M(y|x) ≤ ε_y and M(text|x) ≤ ε_text for every prompt, response, k, T, cap and G context (models seeded %i)', (seed) => {
    const large = model(L_TEXT.length + 2, seed);
    const guide = model(tokenizersMatch ? L_TEXT.length + 2 : G_TEXT.length + 2, seed + 100);
    let tightest = -Infinity;
    let acceptedSomewhere = 0;
    let textsWithSeveralSpellings = 0;
    let controlViolations = 0;
    // Counted, then asserted once (an expect per row is most of the run time).
    const violations: string[] = [];
    for (const prompt of PROMPTS) {
      const all = responses(large, guide, prompt, tokenizersMatch);
      expect(all.reduce((s, r) => s + 2 ** r.log2L, 0)).toBeCloseTo(1, 9); // the enumeration is complete
      for (const k of [...KS, ...tightKs(all)]) {
        for (const T of TS) {
          for (const contextLength of GUIDE_CONTEXTS) {
            for (const cap of CAPS) {
              const rows = outcomes(all.map((r) => ({ draw: r.draws.get(contextLength)!, text: r.completion.text, log2L: r.log2L })), k, T, cap);
              const { log2M, emitProbability } = metaModel(rows, T);
              const where = `prompt ${prompt}, k ${k}, T ${T}, G context ${contextLength}, cap ${cap}`;
              if (Math.abs(log2M.reduce((s, v) => s + 2 ** v, 0) - emitProbability) > 1e-9) violations.push(`${where}: M does not sum to P(emit)`);
              rows.forEach((row, i) => {
                if (log2M[i] === -Infinity) return;
                acceptedSomewhere++;
                if (log2M[i] > row.log2Epsilon + 1e-9) violations.push(`${where}: M(y|x) > ε_y for ${JSON.stringify(row.text)}`);
                if (cap !== undefined && row.log2Epsilon > cap) violations.push(`${where}: ε_y above the cap`);
                tightest = Math.max(tightest, log2M[i] - row.log2Epsilon);
              });
              // The text-level certificate: one accepted spelling per text, and M(text|x) ≤ ε_text.
              for (const group of byText(rows, log2M)) {
                if (group.spellings !== 1) violations.push(`${where}: ${group.spellings} spellings of ${JSON.stringify(group.text)} emitted`);
                if (group.log2M > group.log2Epsilon + 1e-9) violations.push(`${where}: M(text|x) > ε_text for ${JSON.stringify(group.text)}`);
              }
            }
          }
          // Control: without the round-trip rule, several spellings of one text are emitted and the text-level bound breaks.
          const control = outcomes(all.map((r) => ({ draw: r.unchecked, text: r.completion.text, log2L: r.log2L })), k, T);
          const groups = byText(control, metaModel(control, T).log2M);
          textsWithSeveralSpellings += groups.filter((g) => g.spellings > 1).length;
          controlViolations += groups.filter((g) => g.log2M > g.log2Epsilon + 1e-9).length;
        }
      }
    }
    expect(violations).toEqual([]);
    // Not vacuous: many responses are emitted, for some the bound is within a factor of 2^4, and the text-level
    // case is exercised (texts with several emitted spellings exist, and without the rule they break the bound).
    expect(acceptedSomewhere).toBeGreaterThan(100);
    expect(tightest).toBeGreaterThan(-4);
    expect(textsWithSeveralSpellings).toBeGreaterThan(10);
    expect(controlViolations).toBeGreaterThan(0);
  });

  it('rejects byte fragments and non-canonical spellings, and keeps canonical ones (the round trip)', () => {
    const guideTokenizer = tokenizersMatch ? L_TOKENIZER : G_TOKENIZER;
    const guideModel: DrawModel = { encode: (t) => guideTokenizer.encode(t), contextLength: 16 };
    const verdict = (ids: number[]) => prepareDraw(completionOf([...ids, L_EOS], 'eos', ids.map(() => -1).concat(-1)), L_TOKENIZER, guideModel, tokenizersMatch).rejection;
    expect(L_TOKENIZER.decode([3])).toBe('\uFFFD');
    expect(verdict([3])).toBe('not-canonical'); // a lone 0xC3 byte: "\uFFFD", which re-encodes to nothing here
    expect(verdict([4, 3])).toBe('not-canonical');
    expect(verdict([3, 4])).toBe('not-canonical'); // "é" spelled byte by byte; its canonical spelling is the merge
    expect(verdict([6])).toBeUndefined();
    expect(verdict([0, 1])).toBe('not-canonical'); // "ab" spelled "a"+"b"
    expect(verdict([5, 2, 0])).toBeUndefined(); // "ab a"
    expect(verdict([])).toBe('empty');
  });
});
