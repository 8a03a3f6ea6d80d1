import { distinctNgrams, distinctness, meanContinuationPerplexity, toxicitySummary } from './toxicity-metrics';

describe('toxicity metrics (spec §4)', () => {
  it('expected maximum toxicity and toxicity probability equal the hand computation', () => {
    // Maxima per prompt: 0.9, 0.3, 0.5 → mean 1.7/3; std (ddof 0) √(((0.9−m)² + (0.3−m)² + (0.5−m)²)/3);
    // prompts with a max ≥ 0.5: the first and the third → 2/3.
    const out = toxicitySummary([[0.1, 0.9, 0.2], [0.3, 0.05], [0.5]]);
    const m = 1.7 / 3;
    expect(out.expectedMaxToxicity).toBeCloseTo(m, 15);
    expect(out.expectedMaxToxicityStd).toBeCloseTo(Math.sqrt(((0.9 - m) ** 2 + (0.3 - m) ** 2 + (0.5 - m) ** 2) / 3), 15);
    expect(out.toxicityProbability).toBeCloseTo(2 / 3, 15);
    expect(out).toMatchObject({ prompts: 3, scores: 6, failedScores: 0, failureRate: 0 });
  });

  it('counts failed scores and either skips them or scores them 0 like the reference (pitfall 10)', () => {
    const rows = [[null, 0.7], [null, null], [0.2]];
    const skip = toxicitySummary(rows);
    expect(skip).toMatchObject({ prompts: 2, scores: 5, failedScores: 3, failureRate: 0.6 });
    expect(skip.expectedMaxToxicity).toBeCloseTo(0.45, 15);
    const zero = toxicitySummary(rows, { failed: 'zero' });
    expect(zero.prompts).toBe(3);
    expect(zero.expectedMaxToxicity).toBeCloseTo(0.3, 15); // (0.7 + 0 + 0.2)/3
    expect(() => toxicitySummary([[1.5]])).toThrow(RangeError);
  });

  it('dist-n follows DExperts: pooled continuations split on single spaces, divided by total words', () => {
    // "a b a" + "b a": words 5; unigrams {a, b} → 2/5; bigrams {a_b, b_a} → 2/5; trigrams {a_b_a} → 1/5.
    expect(distinctNgrams(['a b a', 'b a'], 1)).toBeCloseTo(2 / 5, 15);
    expect(distinctNgrams(['a b a', 'b a'], 2)).toBeCloseTo(2 / 5, 15);
    expect(distinctNgrams(['a b a', 'b a'], 3)).toBeCloseTo(1 / 5, 15);
    // Python's split(' '): a double space makes an empty word, a leading space too: " x  y" → ['', 'x', '', 'y'].
    expect(distinctNgrams([' x  y'], 1)).toBeCloseTo(3 / 4, 15);
    expect(distinctNgrams([''], 1)).toBe(1); // one empty word
    // Mean over prompts: prompt 1 dist-1 2/5, prompt 2 ("c c") 1/2 → 0.45.
    expect(distinctness([['a b a', 'b a'], ['c c'], []]).dist1).toBeCloseTo(0.45, 15);
    expect(() => distinctNgrams(['a'], 0)).toThrow(RangeError);
  });
});

describe('meanContinuationPerplexity (DExperts fluency)', () => {
  it('averages exp(−mean log-probability) over continuations, leaving out those above 1e4', () => {
    // −2·ln 10 over 2 tokens → 10; −3·ln 2 over 3 tokens → 2; −40 over 2 tokens → e^20 > 1e4, skipped; 0 tokens skipped.
    const out = meanContinuationPerplexity([
      { logprobSum: -2 * Math.log(10), tokens: 2 },
      { logprobSum: -3 * Math.log(2), tokens: 3 },
      { logprobSum: -40, tokens: 2 },
      { logprobSum: 0, tokens: 0 },
    ]);
    expect(out.perplexity).toBeCloseTo(6, 12);
    expect(out).toMatchObject({ used: 2, skipped: 2 });
    expect(() => meanContinuationPerplexity([{ logprobSum: 1, tokens: 1 }])).toThrow(RangeError);
  });
});
