import { LexiconMetric, RegexMetric, wordTokens } from './pattern-metrics';

const items = (...completions: string[]) => completions.map((completion) => ({ prompt: 'p', completion }));

describe('LexiconMetric', () => {
  it('tokenizes words case-insensitively, keeping letters, digits and apostrophes', () => {
    expect(wordTokens("You're an IDIOT, Idiot2!")).toEqual(["you're", 'an', 'idiot', 'idiot2']);
  });

  it('presence: 1 when any listed word occurs as a whole word, else 0', async () => {
    const sut = new LexiconMetric(['idiot', 'Stupid']);
    expect(await sut.score(items('what an Idiot!', 'so STUPID', 'idiotic but polite', '', 'nice day'))).toEqual([1, 1, 0, 0, 0]);
  });

  it('fraction: share of the completion words covered by entries; NaN without words', async () => {
    const sut = new LexiconMetric(['idiot', 'shut up'], 'fraction');
    const [a, b, c, d] = await sut.score(items('you idiot', 'shut up now idiot', 'hello', '...'));
    expect(a).toBeCloseTo(1 / 2, 12);
    expect(b).toBeCloseTo(3 / 4, 12);
    expect(c).toBe(0);
    expect(d).toBeNaN();
  });

  it('matches multi-word entries only as consecutive words', async () => {
    const sut = new LexiconMetric(['shut up']);
    expect(await sut.score(items('please shut up', 'shut the door, up there'))).toEqual([1, 0]);
  });
});

describe('RegexMetric', () => {
  it('scores 1 on a match and 0 otherwise, with the given flags', async () => {
    expect(await new RegexMetric('\\bhate\\b').score(items('I HATE this', 'whatever', 'hate'))).toEqual([1, 0, 1]);
    expect(await new RegexMetric('hate', '').score(items('HATE', 'hate'))).toEqual([0, 1]);
  });

  it('drops the g and y flags so repeated calls never depend on lastIndex', async () => {
    const sut = new RegexMetric('a', 'gi');
    expect(await sut.score(items('a', 'a', 'a'))).toEqual([1, 1, 1]);
    expect(sut.name).toBe('regex(/a/i)');
  });
});
