import { learningRateAt } from './lr-schedule';

describe('learningRateAt (linear warmup, cosine decay)', () => {
  const s = { learningRate: 1e-3, minLearningRate: 1e-4, warmupSteps: 10, totalSteps: 110 };

  it('warms up linearly from the first step', () => {
    expect(learningRateAt(1, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(5, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, s)).toBeCloseTo(1e-3, 12);
  });

  it('decays along a cosine to the floor and stays there', () => {
    expect(learningRateAt(60, s)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(learningRateAt(110, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(500, s)).toBeCloseTo(1e-4, 12);
    for (let step = 11; step < 110; step++) expect(learningRateAt(step + 1, s)).toBeLessThanOrEqual(learningRateAt(step, s));
  });

  it('handles no warmup and warmup covering the whole run', () => {
    expect(learningRateAt(1, { ...s, warmupSteps: 0, totalSteps: 100 })).toBeCloseTo(1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos(Math.PI / 100)), 12);
    expect(learningRateAt(10, { ...s, totalSteps: 10 })).toBeCloseTo(1e-3, 12);
  });
});
