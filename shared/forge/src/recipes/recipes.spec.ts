import { sampleTexts } from './domain-pair';
import { summarizeSeparation, ScoredResponse } from './domain-separation';
import { contextOf, formatForLarge, formatPrompt, responseOf } from './domain-text';
import { holdOut, spread } from './hold-out';
import { DEMO_RECIPE, scaleRecipe } from './presets';

describe('domain text layout', () => {
  it('formats prompts for L and keeps responses apart for G', () => {
    expect(formatPrompt('  What is gout? ')).toBe('Question: What is gout?\nAnswer:\n');
    const pair = { prompt: 'What is gout?', response: 'Gout is a form of arthritis.' };
    expect(formatForLarge(pair)).toBe('Question: What is gout?\nAnswer:\nGout is a form of arthritis.');
    expect(formatForLarge('plain text')).toBe('plain text');
    expect(responseOf(pair)).toBe(pair.response);
    expect(contextOf(pair)).toBe(formatPrompt(pair.prompt));
    expect(contextOf('plain text')).toBe('');
  });
});

describe('holdOut / spread / sampleTexts', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);

  it('splits by count or fraction, seeded, keeping order', () => {
    const a = holdOut(items, 30, 1);
    expect(a.heldOut).toHaveLength(30);
    expect(a.train).toHaveLength(70);
    expect([...a.train, ...a.heldOut].sort((x, y) => x - y)).toEqual(items);
    expect(a.heldOut).toEqual([...a.heldOut].sort((x, y) => x - y));
    expect(holdOut(items, 30, 1)).toEqual(a);
    expect(holdOut(items, 30, 2).heldOut).not.toEqual(a.heldOut);
    expect(holdOut(items, 0.25, 1).heldOut).toHaveLength(25);
    expect(holdOut(items, 500, 1).train).toEqual([]);
  });

  it('spreads evenly', () => {
    expect(spread(items, 4)).toEqual([0, 25, 50, 75]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
  });

  it('samples about maxChars characters of texts, evenly', () => {
    const texts = Array.from({ length: 1000 }, (_, i) => `text number ${i} `.repeat(10));
    const total = texts.reduce((n, t) => n + t.length, 0);
    const sample = sampleTexts(texts, total / 4);
    const chars = sample.reduce((n, t) => n + t.length, 0);
    expect(chars).toBeGreaterThan(total / 4 - texts[0].length * 2);
    expect(chars).toBeLessThanOrEqual(total / 4 + texts[999].length);
    // Evenly spread: every fourth text or so, from the start to the end.
    expect(texts.indexOf(sample[0])).toBeLessThan(5);
    expect(texts.indexOf(sample[sample.length - 1])).toBeGreaterThan(990);
    expect(sampleTexts(texts, total)).toEqual(texts);
  });
});

describe('summarizeSeparation', () => {
  const item = (ratio: number, nTokens = 10): ScoredResponse => ({ nTokens, ratio, log2L: -20 + ratio * nTokens, log2G: -20 });

  it('computes AUROC, k at the target FRR, OOD rejection and the domain certificate: k on one half, figures on the other', () => {
    const id = Array.from({ length: 10 }, (_, i) => item(i / 10)); // 0 .. 0.9
    const ood = [item(0.05), item(2), item(3), item(4)];
    const s = summarizeSeparation(id, ood, 2, 0.1);
    expect(s.evaluation).toBe('held-out');
    expect(s.split.heldOut).toEqual({ inDomain: 5, outOfDomain: 2 });
    // The held-out figures are those of the calibration k on the held-out items.
    const heldId = s.heldOut.inDomain.map((i) => id[i].ratio);
    const heldOod = s.heldOut.outOfDomain.map((i) => ood[i]);
    expect(s.frr).toBeCloseTo(heldId.filter((r) => r > s.k).length / 5, 12);
    expect(s.oodRejection).toBeCloseTo(heldOod.filter((o) => o.ratio > s.k).length / 2, 12);
    expect(s.domainCertificateLog2).toBeCloseTo(s.k * 10 + 1 - 20, 10);
    // In sample, as before the split: k = type-7 quantile 0.9 of 0..0.9, and the figures at it.
    expect(s.inSample.operatingPoint.k).toBeCloseTo(0.81, 10);
    expect(s.inSample.operatingPoint.frr).toBeCloseTo(0.1, 10);
    expect(s.inSample.operatingPoint.oodRejection).toBeCloseTo(0.75, 10);
    expect(s.inSample.auroc).toBeCloseTo((1 + 3 * 10) / 40, 10);
    expect(s.n).toEqual({ inDomain: 10, outOfDomain: 4 });
    expect(s.ratios.inDomain.median).toBeCloseTo(0.5, 10);
  });

  it('drops empty responses', () => {
    const s = summarizeSeparation([item(0), item(0, 0), item(0.1)], [item(1), item(5, 0), item(2)]);
    expect(s.n).toEqual({ inDomain: 2, outOfDomain: 2 });
    expect(s.auroc).toBe(1);
  });
});

describe('scaleRecipe', () => {
  it('scales step budgets and keeps architectures', () => {
    const half = scaleRecipe(DEMO_RECIPE, 0.5);
    expect(half.large.train.maxSteps).toBe(Math.round(DEMO_RECIPE.large.train.maxSteps! * 0.5));
    expect(half.large.train.evalEvery).toBe(half.large.train.maxSteps);
    expect(half.guide.model).toEqual(DEMO_RECIPE.guide.model);
    expect(scaleRecipe(DEMO_RECIPE, 0.001).guide.train.maxSteps).toBe(10);
  });
});
