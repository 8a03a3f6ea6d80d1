/**
 * BLEU exactly as sacreBLEU 2.x computes it (sacrebleu/metrics/bleu.py): 13a tokenisation, n-grams up to 4,
 * clipped counts against the per-n-gram maximum over references, closest reference length (shorter wins ties)
 * for the brevity penalty. Corpus BLEU defaults to 'exp' smoothing without effective order (`corpus_bleu`);
 * sentence BLEU to 'exp' smoothing with effective order (`sentence_bleu`). Scores on the 0–100 scale;
 * `sentenceBleu01` gives 0–1.
 */
import { countItems, pyRstrip, pySplit } from './python-text';
import { tokenize13a } from './tokenizer-13a';

export type BleuSmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';

export interface BleuOptions {
  smoothMethod?: BleuSmoothMethod;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** '13a' (default) or 'none' (split on whitespace only). */
  tokenize?: '13a' | 'none';
  lowercase?: boolean;
  /** Stop the geometric mean at the highest order with any hypothesis n-gram. */
  effectiveOrder?: boolean;
  maxNgramOrder?: number;
}

export interface BleuScore {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothMethod, number | undefined> = { none: undefined, floor: 0.1, 'add-k': 1, exp: undefined };

/** sacreBLEU's `my_log`: log(0) is a huge negative number instead of −∞. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** BLEU (0–100) from sufficient statistics (sacreBLEU's `BLEU.compute_bleu`). */
export function bleuFromStatistics(
  correctIn: readonly number[], totalIn: readonly number[], sysLen: number, refLen: number, options: BleuOptions = {},
): BleuScore {
  const smoothMethod = options.smoothMethod ?? 'none';
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const maxOrder = options.maxNgramOrder ?? 4;
  const correct = [...correctIn];
  const total = [...totalIn];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  // Early stop if there are no matches (sacreBLEU issue #141).
  if (!correct.some((c) => c !== 0)) return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen };
  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (options.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]);
  return { score: bp * Math.exp(logSum / effOrder), counts: correct, totals: total, precisions, bp, sysLen, refLen };
}

function preprocess(sentence: string, options: BleuOptions): string[] {
  const s = pyRstrip(options.lowercase ? sentence.toLowerCase() : sentence);
  return (options.tokenize ?? '13a') === '13a' ? tokenize13a(s) : pySplit(s);
}

function wordNgrams(tokens: string[], maxOrder: number): Map<string, number> {
  const grams: string[] = [];
  // Joined with a separator that tokens (split on whitespace) cannot contain.
  for (let n = 1; n <= maxOrder; n++) for (let i = 0; i + n <= tokens.length; i++) grams.push(`${n}\u0000${tokens.slice(i, i + n).join('\u0000')}`);
  return countItems(grams);
}

/** [hypLen, refLen, correct_1..N, total_1..N] of one segment (sacreBLEU's `_compute_segment_statistics`). */
export function bleuSegmentStatistics(hypothesis: string, references: readonly string[], options: BleuOptions = {}): number[] {
  const maxOrder = options.maxNgramOrder ?? 4;
  const refs = references.filter((r) => r !== '');
  if (refs.length === 0) throw new RangeError('BLEU needs at least one non-empty reference per segment');
  const refNgrams = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of refs) {
    const tokens = preprocess(ref, options);
    refLens.push(tokens.length);
    for (const [g, c] of wordNgrams(tokens, maxOrder)) refNgrams.set(g, Math.max(refNgrams.get(g) ?? 0, c));
  }
  const hypTokens = preprocess(hypothesis, options);
  const hypLen = hypTokens.length;
  let closestDiff = -1;
  let closestLen = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = len;
    } else if (diff === closestDiff && len < closestLen) {
      closestLen = len;
    }
  }
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [g, c] of wordNgrams(hypTokens, maxOrder)) {
    const n = Number(g.slice(0, g.indexOf('\u0000'))) - 1;
    total[n] += c;
    const r = refNgrams.get(g);
    if (r !== undefined) correct[n] += Math.min(c, r);
  }
  return [hypLen, closestLen, ...correct, ...total];
}

/**
 * Corpus BLEU (0–100). `referenceStreams[r][i]` is the r-th reference of segment i, as in sacreBLEU's
 * `corpus_bleu(hyps, [refs1, refs2])`; empty references are skipped per segment.
 */
export function corpusBleu(hypotheses: readonly string[], referenceStreams: ReadonlyArray<readonly string[]>, options: BleuOptions = {}): BleuScore {
  const o: BleuOptions = { smoothMethod: 'exp', effectiveOrder: false, ...options };
  const maxOrder = o.maxNgramOrder ?? 4;
  const sum = new Array<number>(2 + 2 * maxOrder).fill(0);
  hypotheses.forEach((hyp, i) => {
    const refs = referenceStreams.map((stream) => {
      if (stream.length !== hypotheses.length) throw new RangeError('every reference stream must have one line per hypothesis');
      return stream[i];
    });
    bleuSegmentStatistics(hyp, refs, o).forEach((v, k) => (sum[k] += v));
  });
  return bleuFromStatistics(sum.slice(2, 2 + maxOrder), sum.slice(2 + maxOrder), sum[0], sum[1], o);
}

/** Sentence BLEU (0–100) with sacreBLEU's `sentence_bleu` defaults ('exp' smoothing, effective order). */
export function sentenceBleu(hypothesis: string, references: string | readonly string[], options: BleuOptions = {}): BleuScore {
  const refs = typeof references === 'string' ? [references] : references;
  return corpusBleu([hypothesis], refs.map((r) => [r]), { effectiveOrder: true, ...options });
}

/** Sentence BLEU on the 0–1 scale. */
export function sentenceBleu01(hypothesis: string, references: string | readonly string[], options: BleuOptions = {}): number {
  return sentenceBleu(hypothesis, references, options).score / 100;
}
