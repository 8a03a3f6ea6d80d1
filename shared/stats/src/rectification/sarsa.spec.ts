import { boundQ, boundQGradient, clampQ, polyakUpdate, sarsaLambdaTargets, sarsaTargets, tdLoss, terminalReward } from './sarsa';

describe('SARSA TD targets (γ = 1, reward −1 at a toxic terminal, 0 otherwise)', () => {
  it('bootstrap on the next taken action and end with the reward, clamped to [−1, 0]', () => {
    // Q_target at the taken actions: [−0.2, −0.5, 0.3, −1.4]; toxic ending (r = −1):
    // y0 = Q(a1) = −0.5, y1 = Q(a2) = 0.3 → clamp 0, y2 = Q(a3) = −1.4 → clamp −1, y3 = r = −1.
    expect(Array.from(sarsaTargets([-0.2, -0.5, 0.3, -1.4], -1))).toEqual([-0.5, 0, -1, -1]);
    // Clean ending: the last action's target is 0; with γ = 0.5 the bootstrapped values halve.
    expect(Array.from(sarsaTargets([-0.2, -0.5, -0.6], 0, 0.5))).toEqual([-0.25, -0.3, 0]);
    // A one-action trajectory (e.g. only EOS, pitfall 7) learns the terminal reward directly.
    expect(Array.from(sarsaTargets([-0.3], -1))).toEqual([-1]);
    expect(() => sarsaTargets([], 0)).toThrow(RangeError);
    expect(() => sarsaTargets([0, NaN], 0)).toThrow(RangeError);
  });

  it('turns a toxicity score into the terminal reward at the 0.5 threshold', () => {
    expect(terminalReward(0.5)).toBe(-1);
    expect(terminalReward(0.49)).toBe(0);
    expect(terminalReward(0.3, 0.25)).toBe(-1);
    expect(() => terminalReward(1.2)).toThrow(RangeError);
  });

  it('TD loss is the mean squared error with gradient 2(Q − y)/n', () => {
    // Q = [−0.1, −0.9], y = [−0.5, −1]: errors 0.4, 0.1 → (0.16 + 0.01)/2 = 0.085; grads 0.4, 0.1.
    const out = tdLoss([-0.1, -0.9], [-0.5, -1]);
    expect(out.loss).toBeCloseTo(0.085, 15);
    expect(out.grad[0]).toBeCloseTo(0.4, 15);
    expect(out.grad[1]).toBeCloseTo(0.1, 15);
    expect(() => tdLoss([0], [0, 1])).toThrow(RangeError);
  });
});

describe('Polyak update', () => {
  it('moves the target a fraction α towards the online weights, in place', () => {
    // α = 0.1: 0.1·1 + 0.9·0 = 0.1; 0.1·3 + 0.9·1 = 1.2.
    const target = Float32Array.from([0, 1]);
    polyakUpdate(target, [1, 3], 0.1);
    expect(target[0]).toBeCloseTo(0.1, 7);
    expect(target[1]).toBeCloseTo(1.2, 6);
    const copy = Float64Array.from([5, 6]);
    polyakUpdate(copy, [1, 2], 1);
    expect(Array.from(copy)).toEqual([1, 2]);
    expect(() => polyakUpdate(copy, [1], 0.1)).toThrow(RangeError);
    expect(() => polyakUpdate(copy, [1, 2], 1.5)).toThrow(RangeError);
  });
});

describe('bounding Q to [−1, 0] (pitfall 4)', () => {
  it('maps a raw head output through −σ with gradient −σ(1 − σ), matching finite differences', () => {
    // u = 0 → −½, gradient −¼; u = ln 3 → −¾, gradient −¾·¼ = −0.1875.
    expect(boundQ(0)).toBe(-0.5);
    expect(boundQGradient(0)).toBe(-0.25);
    expect(boundQ(Math.log(3))).toBeCloseTo(-0.75, 15);
    expect(boundQGradient(Math.log(3))).toBeCloseTo(-0.1875, 15);
    for (const u of [-30, -2, 0.7, 5, 40]) {
      const q = boundQ(u);
      expect(q).toBeGreaterThanOrEqual(-1);
      expect(q).toBeLessThanOrEqual(0);
      expect(boundQGradient(u)).toBeCloseTo((boundQ(u + 1e-6) - boundQ(u - 1e-6)) / 2e-6, 8);
    }
    expect([clampQ(0.4), clampQ(-0.3), clampQ(-7)]).toEqual([0, -0.3, -1]);
  });
});

describe('sarsaLambdaTargets', () => {
  it('is one-step SARSA at λ = 0, the Monte Carlo return at λ = 1, and the hand-computed mix in between', () => {
    const q = [-0.2, -0.4, -0.6];
    expect(Array.from(sarsaLambdaTargets(q, -1, 0))).toEqual(Array.from(sarsaTargets(q, -1)));
    expect(Array.from(sarsaLambdaTargets(q, -1, 1))).toEqual([-1, -1, -1]);
    // λ = 0.5: y2 = −1; y1 = 0.5·(−0.6) + 0.5·(−1) = −0.8; y0 = 0.5·(−0.4) + 0.5·(−0.8) = −0.6
    const y = sarsaLambdaTargets(q, -1, 0.5);
    expect(y[2]).toBe(-1);
    expect(y[1]).toBeCloseTo(-0.8, 12);
    expect(y[0]).toBeCloseTo(-0.6, 12);
    expect(() => sarsaLambdaTargets(q, -1, 1.5)).toThrow(RangeError);
  });
});
