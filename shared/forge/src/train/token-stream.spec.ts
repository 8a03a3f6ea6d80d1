import { SeededRng, shuffledIndices } from './rng';
import {
  buildTokenStream,
  evaluationWindows,
  sampleWindows,
  splitExamples,
  streamFingerprint,
  tokenizeExamples,
} from './token-stream';

describe('token stream', () => {
  it('wraps each example in BOS ... EOS', () => {
    expect(Array.from(buildTokenStream([[5, 6], [], [7]], { bosId: 0, eosId: 1 }))).toEqual([0, 5, 6, 1, 0, 1, 0, 7, 1]);
  });

  it('tokenizes with the caller encode', () => {
    expect(tokenizeExamples(['ab', ''], (t) => new Uint32Array([...t].map((c) => c.charCodeAt(0))))).toEqual([[97, 98], []]);
  });

  it('holds out whole examples, seeded, at least one and never all', () => {
    const examples = Array.from({ length: 20 }, (_, i) => [i]);
    const a = splitExamples(examples, 0.1, 3);
    expect(a.validation).toHaveLength(2);
    expect(a.train).toHaveLength(18);
    expect([...a.train, ...a.validation].map((e) => e[0]).sort((x, y) => x - y)).toEqual(examples.map((e) => e[0]));
    expect(splitExamples(examples, 0.1, 3)).toEqual(a);
    expect(splitExamples(examples, 0.1, 4).validation).not.toEqual(a.validation);
    expect(splitExamples([[1], [2]], 0.01, 0).validation).toHaveLength(1);
    expect(splitExamples([[1]], 0.5, 0).validation).toHaveLength(0);
    expect(splitExamples(examples, 0, 0).validation).toHaveLength(0);
    expect(() => splitExamples(examples, 1, 0)).toThrow();
  });

  it('samples contiguous windows whose targets are the inputs shifted by one', () => {
    const stream = Int32Array.from({ length: 50 }, (_, i) => i);
    const w = sampleWindows(stream, 6, 8, new SeededRng(1));
    for (let b = 0; b < 6; b++) {
      const start = w.inputs[b * 8];
      expect(start).toBeLessThanOrEqual(50 - 9);
      for (let t = 0; t < 8; t++) {
        expect(w.inputs[b * 8 + t]).toBe(start + t);
        expect(w.targets[b * 8 + t]).toBe(start + t + 1);
      }
    }
    expect(sampleWindows(stream, 6, 8, new SeededRng(1))).toEqual(w);
    expect(() => sampleWindows(stream.subarray(0, 8), 1, 8, new SeededRng(1))).toThrow(/shorter than one window/);
    // A stream of exactly one window always yields it.
    expect(Array.from(sampleWindows(stream.subarray(0, 9), 1, 8, new SeededRng(5)).targets)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('evaluation windows tile the stream from the start, shrinking for short streams', () => {
    const stream = Int32Array.from({ length: 20 }, (_, i) => i);
    const w = evaluationWindows(stream, 6, 10);
    expect(w.count).toBe(3);
    expect(Array.from(w.inputs.subarray(6, 12))).toEqual([6, 7, 8, 9, 10, 11]);
    expect(Array.from(w.targets.subarray(12, 18))).toEqual([13, 14, 15, 16, 17, 18]);
    expect(evaluationWindows(stream, 6, 2).count).toBe(2);
    const short = evaluationWindows(stream.subarray(0, 4), 6, 10);
    expect([short.count, short.length]).toEqual([1, 3]);
    expect(evaluationWindows(stream.subarray(0, 1), 6, 10).count).toBe(0);
  });

  it('fingerprints streams by content', () => {
    const a = Int32Array.from([1, 2, 3]);
    expect(streamFingerprint(a)).toBe(streamFingerprint(Int32Array.from([1, 2, 3])));
    expect(streamFingerprint(a)).not.toBe(streamFingerprint(Int32Array.from([1, 2, 4])));
    expect(streamFingerprint(a)).not.toBe(streamFingerprint(Int32Array.from([1, 2, 3 + 256])));
  });
});

describe('SeededRng', () => {
  it('is reproducible and resumable from its state', () => {
    const a = new SeededRng(9);
    a.next();
    const state = a.getState();
    const next = [a.next(), a.nextInt(10), a.nextSeed()];
    const b = new SeededRng(0);
    b.setState(state);
    expect([b.next(), b.nextInt(10), b.nextSeed()]).toEqual(next);
  });

  it('draws uniforms in [0, 1) and permutations', () => {
    const r = new SeededRng(1);
    for (let i = 0; i < 1000; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
    expect(shuffledIndices(10, new SeededRng(2)).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
