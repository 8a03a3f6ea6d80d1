import { Rng } from '../rng';
import { initQHead, qHeadForward, qHeadLayout, qHeadTaken, qHeadTakenBackward } from './q-head';

describe('Q head', () => {
  for (const hidden of [0, 6]) {
    it(`bounds Q to (−1, 0), agrees between full and per-action forward, and its gradient matches finite differences (hidden ${hidden})`, () => {
      const layout = qHeadLayout({ inDim: 5, hidden, vocab: 7 });
      const rng = new Rng(3);
      const p = initQHead(layout, rng, 0.3);
      for (let i = 0; i < p.length; i++) p[i] += rng.normal(0, 0.5);
      const h = Float64Array.from({ length: 12 }, () => rng.normal(0, 1));
      const full = qHeadForward(p, layout, h, 2, new Float64Array(7));
      for (let a = 0; a < 7; a++) {
        expect(full[a]).toBeLessThan(0);
        expect(full[a]).toBeGreaterThan(-1);
        expect(qHeadTaken(p, layout, h, 2, a)).toBeCloseTo(full[a], 12);
      }
      // loss = (Q(s, 4) − y)², y = −0.7
      const y = -0.7;
      const grad = new Float64Array(p.length);
      qHeadTakenBackward(p, grad, layout, h, 2, 4, 2 * (qHeadTaken(p, layout, h, 2, 4) - y));
      const loss = () => (qHeadTaken(p, layout, h, 2, 4) - y) ** 2;
      for (let i = 0; i < p.length; i++) {
        const keep = p[i];
        p[i] = keep + 1e-6;
        const up = loss();
        p[i] = keep - 1e-6;
        const down = loss();
        p[i] = keep;
        expect(grad[i]).toBeCloseTo((up - down) / 2e-6, 6);
      }
    });
  }

  it('starts every Q at −prior', () => {
    const layout = qHeadLayout({ inDim: 3, hidden: 4, vocab: 5 });
    const p = initQHead(layout, new Rng(1), 0.05);
    const q = qHeadForward(p, layout, [0, 0, 0], 0, new Float64Array(5));
    // Zero input: the hidden layer's biases still pass through the (small) output weights.
    for (const v of q) expect(v).toBeCloseTo(-0.05, 1);
  });

  it('refuses bad shapes and actions', () => {
    expect(() => qHeadLayout({ inDim: 0, hidden: 2, vocab: 5 })).toThrow(RangeError);
    const layout = qHeadLayout({ inDim: 2, hidden: 0, vocab: 3 });
    expect(() => qHeadTaken(new Float64Array(layout.size), layout, [1, 1], 0, 3)).toThrow(RangeError);
  });
});
