import { bestOfBlocks } from './evaluation.job';

describe('best-of-n curve from n_max samples', () => {
  it('averages the score of the highest-reward sample of each disjoint block of n', () => {
    const rewards = [0.1, 0.9, 0.5, 0.2, 0.3, 0.3, 0.8, 0.7];
    const scores = [1, 0, 1, 1, 0.5, 1, 0, 1];
    expect(bestOfBlocks(rewards, scores, 1)).toBeCloseTo(5.5 / 8); // the mean of plain samples
    expect(bestOfBlocks(rewards, scores, 2)).toBeCloseTo((0 + 1 + 0.5 + 0) / 4); // ties go to the first
    expect(bestOfBlocks(rewards, scores, 4)).toBeCloseTo((0 + 0) / 2);
    expect(bestOfBlocks(rewards, scores, 8)).toBe(0);
    expect(bestOfBlocks(rewards, scores, 3)).toBeCloseTo((0 + 0.5) / 2); // blocks [0..2], [3..5] (a tie: the first); the rest unused
    expect(bestOfBlocks(rewards, scores, 9)).toBeNaN();
  });
});
