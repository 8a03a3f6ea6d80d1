import { BleuMetric, ChrfMetric } from './reference-metrics';

// Values from sacreBLEU's own tests (as checked in @assay/stats): issue #98 sentence, and chrF of 'ab' vs 'abc'.
const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

describe('reference metrics (0–1 scale)', () => {
  it('BLEU matches sacreBLEU sentence_bleu (8.493 → 0.08493) and is 1 for an exact copy', async () => {
    const [a, b] = await new BleuMetric().score([
      { prompt: 'x', completion: SYS, reference: REF },
      { prompt: 'y', completion: 'a b c d', reference: 'a b c d' },
    ]);
    expect(Math.abs(a - 0.08493)).toBeLessThan(1e-5);
    expect(b).toBeCloseTo(1, 12);
  });

  it('chrF matches sacreBLEU sentence_chrf (ab vs abc → 35/55)', async () => {
    const [a, b] = await new ChrfMetric().score([
      { prompt: 'x', completion: 'ab', reference: 'abc' },
      { prompt: 'y', completion: 'the cat', reference: 'the cat' },
    ]);
    expect(a).toBeCloseTo(35 / 55, 12);
    expect(b).toBe(1);
  });

  it('is NaN for a prompt without a reference, so the pair is dropped', async () => {
    expect(await new ChrfMetric().score([{ prompt: 'x', completion: 'ab' }])).toEqual([NaN]);
    expect(await new BleuMetric().score([{ prompt: 'x', completion: 'ab' }])).toEqual([NaN]);
  });
});
