import { Float32AdamW } from './float32-adamw';

describe('Float32AdamW', () => {
  it('takes the AdamW steps computed by hand (bias correction, decoupled decay on decaying parameters only)', () => {
    const values = new Map([
      ['w', Float32Array.of(1, -2)],
      ['b', Float32Array.of(0.5)],
    ]);
    const opt = new Float32AdamW([{ name: 'w', size: 2, decay: true }, { name: 'b', size: 1, decay: false }], { beta1: 0.9, beta2: 0.99, epsilon: 0, weightDecay: 0.1 });
    opt.apply(values, new Map([['w', Float32Array.of(0.2, -0.4)], ['b', Float32Array.of(1)]]), 0.01);
    // Step 1: m̂ = g, v̂ = g², update = g/|g| = sign(g); w ← w − lr·sign(g) − lr·wd·w.
    expect(values.get('w')![0]).toBeCloseTo(1 - 0.01 - 0.001 * 1, 6);
    expect(values.get('w')![1]).toBeCloseTo(-2 + 0.01 + 0.001 * 2, 6);
    expect(values.get('b')![0]).toBeCloseTo(0.5 - 0.01, 6);
    // Step 2 on b with g = 0 and gradScale 1: m = 0.09, v = 0.0099; m̂ = 0.09/0.19, v̂ = 0.0099/0.0199.
    const b1 = values.get('b')![0];
    opt.apply(values, new Map([['b', Float32Array.of(0)]]), 0.01);
    expect(values.get('b')![0]).toBeCloseTo(b1 - 0.01 * (0.09 / 0.19) / Math.sqrt(0.0099 / 0.0199), 6);
    // Moments survive a state round trip; a mis-sized state is refused.
    const state = opt.getState();
    expect(state.step).toBe(2);
    const again = new Float32AdamW([{ name: 'w', size: 2, decay: true }, { name: 'b', size: 1, decay: false }], { beta1: 0.9, beta2: 0.99, epsilon: 0, weightDecay: 0.1 });
    again.setState(state);
    expect(again.getState()).toEqual(state);
    expect(() => again.setState({ ...state, m: { ...state.m, w: new Float32Array(3) } })).toThrow(/m\[w\]/);
  });

  it('scales gradients by gradScale (the trainer’s global-norm clipping)', () => {
    const a = new Map([['w', Float32Array.of(0)]]);
    const b = new Map([['w', Float32Array.of(0)]]);
    const cfg = { beta1: 0.5, beta2: 0.5, epsilon: 1e-3, weightDecay: 0 };
    new Float32AdamW([{ name: 'w', size: 1, decay: false }], cfg).apply(a, new Map([['w', Float32Array.of(0.5)]]), 1);
    new Float32AdamW([{ name: 'w', size: 1, decay: false }], cfg).apply(b, new Map([['w', Float32Array.of(1)]]), 1, 0.5);
    expect(b.get('w')![0]).toBeCloseTo(a.get('w')![0], 7);
  });
});
