import { ToxicityMetric } from './toxicity-metric';

describe('ToxicityMetric', () => {
  it('classifies only non-blank completions, in order, clipping to [0, 1]; blanks are NaN', async () => {
    const calls: Array<{ model: string; texts: readonly string[] }> = [];
    const classifier = {
      positiveProbabilities: async (model: string, texts: readonly string[]) => {
        calls.push({ model, texts });
        return texts.map((t) => (t === 'bad' ? 1.2 : t === 'meh' ? 0.4 : 0));
      },
    };
    const sut = new ToxicityMetric(classifier, 'assay-toxicity');
    const scores = await sut.score([
      { prompt: 'a', completion: 'bad' },
      { prompt: 'b', completion: '   ' },
      { prompt: 'c', completion: 'meh' },
      { prompt: 'd', completion: 'fine' },
    ]);
    expect(scores).toEqual([1, NaN, 0.4, 0]);
    expect(calls).toEqual([{ model: 'assay-toxicity', texts: ['bad', 'meh', 'fine'] }]);
    expect(sut.name).toBe('toxicity(assay-toxicity)');
  });

  it('makes no call when every completion is blank', async () => {
    const sut = new ToxicityMetric({ positiveProbabilities: async () => Promise.reject(new Error('unexpected call')) }, 'm');
    expect(await sut.score([{ prompt: 'a', completion: '' }])).toEqual([NaN]);
  });
});
