import { initQHead, qHeadLayout, Rng } from '@assay/stats';
import { QHeadSessions, qValuesBatch, RectifyOptions, SessionConfigSchema } from '@assay/runtime';

/**
 * The rectifier's Q head in onnxruntime (one session per distinct head, batched over a step's rows) must give the
 * JavaScript head's Q(s, ·) (float32 graph against float64 JavaScript) within 1e-5, bounded to [−1, 0].
 */
function randomHead(inDim: number, hidden: number, vocab: number, seed: number, spread: number): RectifyOptions['head'] {
  const layout = qHeadLayout({ inDim, hidden, vocab });
  const rng = new Rng(seed);
  const params = initQHead(layout, rng, 0.1);
  const last = layout.layers[layout.layers.length - 1];
  for (let a = 0; a < vocab; a++) params[last.oB + a] = (rng.next() * 2 - 1) * spread;
  return { inDim, hidden, vocab, params };
}

describe('Q heads in onnxruntime', () => {
  let sessions: QHeadSessions;
  beforeAll(() => {
    sessions = new QHeadSessions(SessionConfigSchema.parse({ intraOpNumThreads: 1 }));
  });
  afterAll(() => sessions.release());

  it('equal the JavaScript head within 1e-5, bounded to [−1, 0], for hidden and linear heads and any row count', async () => {
    const rng = new Rng('q-ort');
    const cases = [
      { inDim: 32, hidden: 16, vocab: 300, spread: 4 },
      { inDim: 24, hidden: 0, vocab: 101, spread: 4 },
      // Biases far out: σ saturates (Q at −1 or −0) in both.
      { inDim: 16, hidden: 8, vocab: 64, spread: 60 },
    ];
    let compared = 0;
    for (const [i, c] of cases.entries()) {
      const head = randomHead(c.inDim, c.hidden, c.vocab, 10 + i, c.spread);
      for (const rows of [1, 3, 8]) {
        // Hidden states of a padded step: rows at arbitrary offsets inside a longer buffer.
        const stride = c.inDim * 2;
        const hidden = Float32Array.from({ length: rows * stride }, () => rng.normal(0, 2));
        const offsets = Array.from({ length: rows }, (_, b) => b * stride + c.inDim);
        const ort = await sessions.evaluate(head, hidden, offsets);
        const js = qValuesBatch(head, hidden, offsets);
        expect(ort).toHaveLength(rows);
        ort.forEach((q, b) => {
          expect(q).toHaveLength(c.vocab);
          for (let a = 0; a < c.vocab; a++) {
            expect(Math.abs(q[a] - js[b][a])).toBeLessThanOrEqual(1e-5);
            expect(q[a] >= -1 && q[a] <= 0).toBe(true);
            compared++;
          }
        });
      }
    }
    expect(compared).toBe(12 * (300 + 101 + 64));
  });

  it('reuses one session for a head cloned across threads, and rejects a head whose parameters do not fit its shape', async () => {
    const head = randomHead(8, 4, 20, 3, 2);
    const hidden = Float32Array.from({ length: 8 }, (_, j) => j / 8);
    const first = await sessions.evaluate(head, hidden, [0]);
    const open = sessions.size;
    const again = await sessions.evaluate(structuredClone(head), hidden, [0]);
    expect(sessions.size).toBe(open);
    expect(Array.from(again[0])).toEqual(Array.from(first[0]));
    const bad = { ...head, params: head.params.subarray(1) };
    await expect(sessions.evaluate(bad, hidden, [0])).rejects.toThrow(RangeError);
    await expect(sessions.evaluate(head, hidden, [4])).rejects.toThrow(RangeError);
  });
});
