/**
 * chrF / chrF++ (Popović 2015, 2017) exactly as sacreBLEU 2.x computes it (sacrebleu/metrics/chrf.py):
 * defaults char_order 6, word_order 0, β = 2, whitespace removed, no epsilon smoothing (sacreBLEU's
 * "effective order": orders with no hypothesis or reference n-grams are left out of the averages). Scores are on
 * sacreBLEU's 0–100 scale; `sentenceChrf01` gives 0–1 (audit scores live in [0, 1]).
 */
import { codePoints, countItems, pyRemoveWhitespace, pySplit } from './python-text';

export interface ChrfOptions {
  charOrder?: number;
  /** 2 gives chrF++. */
  wordOrder?: number;
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams. */
  whitespace?: boolean;
  /** chrF++.py / NLTK / Moses style epsilon smoothing instead of the effective order. */
  epsSmoothing?: boolean;
}

type Resolved = Required<ChrfOptions>;

function resolve(o: ChrfOptions): Resolved {
  return { charOrder: 6, wordOrder: 0, beta: 2, lowercase: false, whitespace: false, epsSmoothing: false, ...o };
}

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** chrF++'s primitive word tokenisation: split one punctuation mark off the end (or else the start) of a word. */
function removePunctuation(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sentence)) {
    const chars = codePoints(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTUATION.has(chars[chars.length - 1])) out.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    else if (PUNCTUATION.has(chars[0])) out.push(chars[0], chars.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function ngrams(units: string[], n: number, joiner: string): Map<string, number> {
  const grams: string[] = [];
  for (let i = 0; i + n <= units.length; i++) grams.push(units.slice(i, i + n).join(joiner));
  return countItems(grams);
}

function allNgrams(sentence: string, o: Resolved): Array<Map<string, number>> {
  const s = o.lowercase ? sentence.toLowerCase() : sentence;
  const chars = codePoints(o.whitespace ? s : pyRemoveWhitespace(s));
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= o.charOrder; n++) out.push(ngrams(chars, n, ''));
  if (o.wordOrder > 0) {
    const words = removePunctuation(s);
    for (let n = 1; n <= o.wordOrder; n++) out.push(ngrams(words, n, ' '));
  }
  return out;
}

/** [hyp, ref, match] per order, flattened. Hypothesis n-grams do not count for an order the reference lacks. */
function matchStatistics(hyp: Array<Map<string, number>>, ref: Array<Map<string, number>>): number[] {
  const stats: number[] = [];
  for (let i = 0; i < hyp.length; i++) {
    let match = 0;
    let hypCount = 0;
    for (const [gram, count] of hyp[i]) {
      hypCount += count;
      const r = ref[i].get(gram);
      if (r !== undefined) match += Math.min(count, r);
    }
    let refCount = 0;
    for (const c of ref[i].values()) refCount += c;
    stats.push(ref[i].size > 0 ? hypCount : 0, refCount, match);
  }
  return stats;
}

/** chrF on the 0–100 scale from flattened [hyp, ref, match] statistics (sacreBLEU's `_compute_f_score`). */
export function chrfFromStatistics(stats: readonly number[], options: ChrfOptions = {}): number {
  const o = resolve(options);
  const order = o.charOrder + o.wordOrder;
  const eps = 1e-16;
  const factor = o.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const [nHyp, nRef, nMatch] = [stats[3 * i], stats[3 * i + 1], stats[3 * i + 2]];
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder++;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * (1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
}

/** Statistics of one segment against its references: those of the reference with the best chrF. */
export function chrfSegmentStatistics(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): number[] {
  const o = resolve(options);
  const refs = references.filter((r) => r !== '');
  if (refs.length === 0) throw new RangeError('chrF needs at least one non-empty reference per segment');
  const hyp = allNgrams(hypothesis, o);
  let best: number[] = [];
  let bestScore = -1;
  for (const ref of refs) {
    const stats = matchStatistics(hyp, allNgrams(ref, o));
    const f = chrfFromStatistics(stats, o);
    if (f > bestScore) {
      bestScore = f;
      best = stats;
    }
  }
  return best;
}

/** Sentence chrF (0–100) against one or more references (sacreBLEU's `sentence_chrf`). */
export function sentenceChrf(hypothesis: string, references: string | readonly string[], options: ChrfOptions = {}): number {
  const refs = typeof references === 'string' ? [references] : references;
  return chrfFromStatistics(chrfSegmentStatistics(hypothesis, refs, options), options);
}

/** Sentence chrF on the 0–1 scale. */
export function sentenceChrf01(hypothesis: string, references: string | readonly string[], options: ChrfOptions = {}): number {
  return sentenceChrf(hypothesis, references, options) / 100;
}

/**
 * Corpus chrF (0–100): statistics summed over segments, then one score (sacreBLEU's `corpus_chrf`).
 * `referenceStreams[r][i]` is the r-th reference of segment i, as in sacreBLEU.
 */
export function corpusChrf(hypotheses: readonly string[], referenceStreams: ReadonlyArray<readonly string[]>, options: ChrfOptions = {}): number {
  const total: number[] = [];
  hypotheses.forEach((hyp, i) => {
    const refs = referenceStreams.map((stream) => {
      if (stream.length !== hypotheses.length) throw new RangeError('every reference stream must have one line per hypothesis');
      return stream[i];
    });
    chrfSegmentStatistics(hyp, refs, options).forEach((v, k) => (total[k] = (total[k] ?? 0) + v));
  });
  return chrfFromStatistics(total, options);
}
