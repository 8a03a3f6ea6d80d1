/** Expected values copied from sacreBLEU's own tests (github.com/mjpost/sacrebleu): test/test_chrf.py. */
import { corpusChrf, sentenceChrf, sentenceChrf01 } from './chrf';

describe('chrF (sacreBLEU test_chrf.py)', () => {
  it.each([
    ['Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.', 39.14078509],
    ['Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.', 31.22557079],
    ['Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.', 57.15704367],
  ])('sentence chrF with eps smoothing: %s', (hyp, ref, expected) => {
    expect(Math.abs(sentenceChrf(hyp, [ref], { epsSmoothing: true }) - expected)).toBeLessThan(1e-4);
  });

  it.each([
    [['abcdefg'], ['hijklmnop'], 0.0],
    [['a'], ['b'], 0.0],
    [[''], ['b'], 0.0],
    [[''], ['ref'], 0.0],
    [[''], ['reference'], 0.0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50.0],
    [['a b c'], ['abc'], 50.0],
    [[' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
      ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'], 63.36173],
    [[' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'], 64.1302698],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
  ])('corpus chrF β=3 with eps smoothing: %j vs %j', (hyps, refs, expected) => {
    expect(Math.abs(corpusChrf(hyps, [refs], { beta: 3, epsSmoothing: true }) - expected)).toBeLessThan(1e-4);
  });

  it.each([
    [['a'], ['a'], 100.0],
    [[''], ['reference'], 0.0],
    [['a b c'], ['a b c'], 100.0],
    [['a b c'], ['abc'], 100.0],
    [[''], ['c'], 0.0],
    [['a', 'b'], ['a', 'c'], 50.0],
    [['aa'], ['ab'], 25.0],
  ])('corpus chrF β=3 with effective order: %j vs %j', (hyps, refs, expected) => {
    expect(Math.abs(corpusChrf(hyps, [refs], { beta: 3 }) - expected)).toBeLessThan(1e-4);
  });

  it.each([
    ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.',
      'Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.', 67.3481606],
    ['risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .', 65.2414427],
  ])('chrF β=3 keeping whitespace: %s', (hyp, ref, expected) => {
    expect(Math.abs(corpusChrf([hyp], [[ref]], { beta: 3, whitespace: true }) - expected)).toBeLessThan(1e-4);
  });
});

describe('chrF2 defaults', () => {
  it('uses β = 2 with the effective order (hand-computed)', () => {
    // "ab" vs "abc": order 1 P = 1, R = 2/3; order 2 P = 1, R = 1/2; order 3 has no hypothesis n-gram.
    // avg P = 1, avg R = 7/12, F2 = 5PR/(4P + R) = 35/55.
    expect(sentenceChrf('ab', 'abc')).toBeCloseTo((100 * 35) / 55, 10);
    expect(sentenceChrf01('ab', ['abc'])).toBeCloseTo(35 / 55, 12);
    expect(sentenceChrf('aa', 'ab')).toBeCloseTo(25, 12); // P = R = 0.25 at orders 1–2
  });

  it('picks the best of several references and ignores whitespace', () => {
    expect(sentenceChrf('the cat', ['a dog', 'the  cat'])).toBe(100);
    expect(sentenceChrf('thecat', 'the cat')).toBe(100);
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    expect(sentenceChrf('😀a', '😀a')).toBe(100);
    expect(sentenceChrf('😀a', '😁a')).toBeCloseTo(sentenceChrf('xa', 'ya'), 12);
  });

  it('supports chrF++ word n-grams', () => {
    const plain = sentenceChrf('the cat sat.', 'the cat sat on the mat.');
    const plusPlus = sentenceChrf('the cat sat.', 'the cat sat on the mat.', { wordOrder: 2 });
    expect(plusPlus).not.toBe(plain);
    expect(sentenceChrf('the cat sat.', 'the cat sat.', { wordOrder: 2 })).toBe(100);
  });
});
