/**
 * Expected values copied from sacreBLEU 2.x's own tests (github.com/mjpost/sacrebleu):
 * test/test_bleu.py (commit 785d26b) and test/test_sentence_bleu.py.
 */
import { bleuFromStatistics, corpusBleu, sentenceBleu, sentenceBleu01 } from './bleu';

// test/test_bleu.py: README example with two reference streams.
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

// test/test_sentence_bleu.py: example from sacreBLEU issue #98.
const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

/** sacrebleu.raw_corpus_bleu: floor smoothing, no tokenization, effective order. */
const raw = (hyps: string[], refs: string[], floor = 0.01) =>
  corpusBleu(hyps, [refs], { smoothMethod: 'floor', smoothValue: floor, tokenize: 'none', effectiveOrder: true }).score / 100;

describe('corpus BLEU (sacreBLEU test_bleu.py)', () => {
  it.each([
    [{}, 48.530827],
    [{ tokenize: 'none' as const }, 49.1919566],
    [{ tokenize: '13a' as const }, 48.530827],
    [{ smoothMethod: 'none' as const }, 48.530827],
  ])('scores the README example with %j', (options, expected) => {
    expect(Math.abs(corpusBleu(HYPS, REFS, options).score - expected)).toBeLessThan(1e-6);
  });

  it('keeps empty hypotheses (score 0)', () => {
    expect(corpusBleu(['', '', ''], REFS).score).toBe(0);
  });

  it.each([
    [['this is a test', 'another test'], ['ref1', 'ref2'], 0.0], // 0 since sacreBLEU 2.0 (#141)
    [['this is a test'], ['this is a test'], 1.0],
    [['this is a fest'], ['this is a test'], 0.223606797749979],
    [['test'], ['a test'], 0.3678794411714425],
    [['a test'], ['a test'], 1.0],
    [['a little test'], ['a test'], 0.03218297948685433],
  ])('raw corpus BLEU of %j against %j', (hyps, refs, expected) => {
    expect(Math.abs(raw(hyps, refs) - expected)).toBeLessThan(1e-8);
  });

  it('uses the floor offset and reports n-gram statistics', () => {
    const hyp = ['am I am a character sequence'];
    const ref = ['I am a symbol string sequence a a'];
    expect(raw(hyp, ref, 0)).toBe(0);
    expect(Math.abs(raw(hyp, ref, 0.1) - 0.1555722182)).toBeLessThan(1e-8);
    const r = corpusBleu(hyp, [ref], { smoothMethod: 'floor', smoothValue: 0.01, tokenize: 'none', effectiveOrder: true });
    expect([r.counts, r.totals]).toEqual([[4, 2, 1, 0], [6, 5, 4, 3]]);
  });

  it.each([[1, '77.65'], [2, '60.50'], [3, '53.93'], [4, '48.53'], [5, '46.14'], [6, '43.28']])('max n-gram order %d', (order, expected) => {
    expect(corpusBleu(HYPS, REFS, { maxNgramOrder: order }).score.toFixed(2)).toBe(expected);
  });

  it('computes BLEU from sufficient statistics', () => {
    expect(Math.abs(bleuFromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100 - 0.8375922397)).toBeLessThan(1e-8);
    const floor = (c: number[], t: number[], s: number, r: number, v: number) =>
      bleuFromStatistics(c, t, s, r, { smoothMethod: 'floor', smoothValue: v }).score;
    expect(floor([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0)).toBe(0);
    expect(floor([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01)).toBe(0);
  });

  it('matches corpus statistics across several segments and references', () => {
    const r = corpusBleu(HYPS, REFS);
    expect(r.sysLen).toBe(r.totals[0]);
    expect(r.counts.every((c, i) => c <= r.totals[i])).toBe(true);
    expect(() => corpusBleu(HYPS, [REFS[0].slice(0, 2)])).toThrow(RangeError);
  });
});

describe('sentence BLEU (sacreBLEU test_sentence_bleu.py)', () => {
  it.each([
    ['exp', undefined, '13a', 8.493],
    ['none', undefined, '13a', 0.0],
    ['floor', undefined, '13a', 4.51688],
    ['floor', 0.1, '13a', 4.51688],
    ['floor', 0.5, '13a', 10.1],
    ['add-k', undefined, '13a', 14.882],
    ['add-k', 1, '13a', 14.882],
    ['add-k', 2, '13a', 21.389],
    ['exp', undefined, 'none', 7.347],
  ] as const)('smooth %s (%s), tokenize %s', (smoothMethod, smoothValue, tokenize, expected) => {
    expect(Math.abs(sentenceBleu(SYS, [REF], { smoothMethod, smoothValue, tokenize }).score - expected)).toBeLessThan(1e-3);
  });

  it('defaults to exp smoothing with effective order, on 0–100 and 0–1 scales', () => {
    expect(Math.abs(sentenceBleu(SYS, REF).score - 8.493)).toBeLessThan(1e-3);
    expect(Math.abs(sentenceBleu01(SYS, REF) - 0.08493)).toBeLessThan(1e-5);
    expect(sentenceBleu01('a b c d', 'a b c d')).toBeCloseTo(1, 14);
  });

  it.each(['exp', 'none', 'floor', 'add-k'] as const)('is 0 without any match (sacreBLEU #141), smooth %s', (smoothMethod) => {
    expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod }).score).toBe(0);
  });

  it('rejects segments without a usable reference', () => {
    expect(() => sentenceBleu('a', [''])).toThrow(RangeError);
  });
});
