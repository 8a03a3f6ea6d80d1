import { Rng } from '../rng';
import { clipPhi, PHI_CLIP, WitnessNet } from './witness-net';

function pairs(rng: Rng, n: number): number[] {
  return Array.from({ length: 2 * n }, () => rng.next());
}

describe('WitnessNet', () => {
  it('has the CMLP shape: 1→H→LN→ReLU→H→LN→ReLU→1', () => {
    const sut = new WitnessNet(32, new Rng(0));
    // W1, b1, γ1, β1 (4·32) + W2, b2, γ2, β2 (32·32 + 3·32) + w3, b3 (32 + 1)
    expect(sut.parameterCount).toBe(4 * 32 + 32 * 32 + 3 * 32 + 33);
    expect(Number.isFinite(sut.forward(0.3))).toBe(true);
  });

  it('initialises deterministically from the seed', () => {
    expect(new WitnessNet(8, new Rng(3)).toJSON()).toEqual(new WitnessNet(8, new Rng(3)).toJSON());
    expect(new WitnessNet(8, new Rng(3)).forward(0.5)).not.toBe(new WitnessNet(8, new Rng(4)).forward(0.5));
  });

  it('backprop matches central finite differences of −mean(ℓ) for every parameter', () => {
    const rng = new Rng('gradcheck');
    for (const hidden of [3, 8]) {
      const sut = new WitnessNet(hidden, rng);
      const flat = pairs(rng, 12);
      const idx = Array.from({ length: 12 }, (_, i) => i);
      sut.lossAndGradient(flat, idx);
      const analytic = Array.from(sut.grad);
      const loss = () => -sut.sumLogPayoff(flat) / 12;
      const h = 1e-6;
      let worst = 0;
      for (let p = 0; p < sut.parameterCount; p++) {
        const saved = sut.params[p];
        sut.params[p] = saved + h;
        const up = loss();
        sut.params[p] = saved - h;
        const down = loss();
        sut.params[p] = saved;
        const numeric = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - analytic[p]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[p])));
      }
      expect(worst).toBeLessThan(1e-5);
      expect(analytic.some((g) => g !== 0)).toBe(true);
    }
  });

  it('returns the loss it differentiates', () => {
    const rng = new Rng(9);
    const sut = new WitnessNet(8, rng);
    const flat = pairs(rng, 10);
    const loss = sut.lossAndGradient(flat, Array.from({ length: 10 }, (_, i) => i), 0, 10);
    expect(loss).toBeCloseTo(-sut.sumLogPayoff(flat) / 10, 12);
  });

  it('takes PyTorch Adam steps: the first one moves each parameter by lr against its gradient sign', () => {
    const rng = new Rng(11);
    const sut = new WitnessNet(4, rng);
    const flat = pairs(rng, 8);
    sut.lossAndGradient(flat, Array.from({ length: 8 }, (_, i) => i));
    const before = Array.from(sut.params);
    const grad = Array.from(sut.grad);
    sut.adamUpdate(1e-3);
    sut.params.forEach((p, i) => {
      if (Math.abs(grad[i]) > 1e-6) expect(p - before[i]).toBeCloseTo(-1e-3 * Math.sign(grad[i]), 6);
    });
  });

  it('training on a clear shift increases the mean log payoff', () => {
    const rng = new Rng(12);
    const sut = new WitnessNet(8, rng);
    const flat: number[] = [];
    for (let i = 0; i < 200; i++) flat.push(rng.beta(2, 8), rng.beta(6, 3));
    const idx = Array.from({ length: 200 }, (_, i) => i);
    const start = sut.sumLogPayoff(flat) / 200;
    for (let step = 0; step < 300; step++) {
      sut.lossAndGradient(flat, idx);
      sut.adamUpdate(1e-2);
    }
    const end = sut.sumLogPayoff(flat) / 200;
    expect(end).toBeGreaterThan(start);
    expect(end).toBeGreaterThan(0.2);
    expect(sut.phi(0.1)).toBeGreaterThan(sut.phi(0.8)); // bets that the reference (s1) scores low
  });

  it('clips φ so a saturated net never yields −∞ or NaN', () => {
    expect(clipPhi(0.5)).toBe(0.5 - PHI_CLIP);
    expect(clipPhi(-0.7)).toBe(-0.5 + PHI_CLIP);
    const rng = new Rng(13);
    const sut = new WitnessNet(4, rng);
    for (let i = 0; i < sut.parameterCount; i++) sut.params[i] *= 1e4; // tanh saturates to exactly ±1
    const flat = pairs(rng, 50);
    const total = sut.sumLogPayoff(flat);
    expect(Number.isFinite(total)).toBe(true);
    const loss = sut.lossAndGradient(flat, Array.from({ length: 50 }, (_, i) => i));
    expect(Number.isFinite(loss)).toBe(true);
    expect(Array.from(sut.grad).every(Number.isFinite)).toBe(true);
  });

  it('reproduces, bit for bit, a training trajectory recorded with the per-sample loops it replaced (commit c04271b)', () => {
    // The minibatch kernels skip exact zeros and tile registers but keep every sum's order, so nothing may change.
    const rng = new Rng('golden-net');
    const sut = new WitnessNet(32, rng);
    const flat: number[] = [];
    for (let i = 0; i < 120; i++) flat.push(rng.beta(2, 8), rng.beta(3, 6));
    const idx = Array.from({ length: 120 }, (_, i) => i);
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      rng.shuffle(idx);
      losses.push(sut.lossAndGradient(flat, idx, 0, 50));
      sut.adamUpdate(1e-3);
    }
    expect(losses.filter((_, i) => i % 8 === 0)).toEqual([
      -0.025061878931749396, -0.0722087114139373, -0.09939945517109265, -0.13558526540735724, -0.17136480585817224,
    ]);
    expect(Array.from(sut.params).reduce((a, b) => a + b, 0)).toBe(68.71782056949297);
    expect([sut.params[0], sut.params[500], sut.params[1280]]).toEqual([0.8349834893944816, -0.03985930830467582, -0.06077153442476943]);
    expect(sut.sumLogPayoff(flat)).toBe(24.611452783460916);
    expect([sut.forward(0), sut.forward(0.37), sut.forward(1)]).toEqual([1.3933195084651846, -0.8124891184533645, -1.3645668826766666]);
  });

  it('gives the same payoffs in one batch as one pair at a time, for odd widths too', () => {
    for (const hidden of [1, 3, 5, 32]) {
      const rng = new Rng(`width-${hidden}`);
      const sut = new WitnessNet(hidden, rng);
      const flat = pairs(rng, 300); // more than one forward chunk
      let oneByOne = 0;
      for (let i = 0; i < 300; i++) oneByOne += Math.log(1 + sut.phi(flat[2 * i]) - sut.phi(flat[2 * i + 1]));
      expect(sut.sumLogPayoff(flat)).toBe(oneByOne);
    }
  });

  it('round-trips its state, Adam moments included', () => {
    const rng = new Rng(14);
    const sut = new WitnessNet(5, rng);
    const flat = pairs(rng, 6);
    const idx = [0, 1, 2, 3, 4, 5];
    sut.lossAndGradient(flat, idx);
    sut.adamUpdate(1e-3);
    const copy = WitnessNet.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
    for (const net of [sut, copy]) {
      net.lossAndGradient(flat, idx);
      net.adamUpdate(1e-3);
    }
    expect(copy.toJSON()).toEqual(sut.toJSON());
    expect(() => WitnessNet.fromJSON({ ...sut.toJSON(), hidden: 6 })).toThrow(RangeError);
  });
});
