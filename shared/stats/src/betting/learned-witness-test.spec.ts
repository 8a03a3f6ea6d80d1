import { Rng } from '../rng';
import { createSequentialTest, sequentialTestFromJSON } from './create-test';
import { LearnedWitnessTest } from './learned-witness-test';
import { ScorePair } from './sequential-test';

const FAST = { hiddenSize: 8, maxEpochs: 10, patience: 3 };

function batch(rng: Rng, n: number, a: [number, number], b: [number, number]): ScorePair[] {
  return Array.from({ length: n }, () => [rng.beta(...a), rng.beta(...b)] as const);
}

describe('LearnedWitnessTest', () => {
  it('resumes from a JSON checkpoint with the identical trajectory', () => {
    const rng = new Rng('resume');
    const batches = Array.from({ length: 8 }, () => batch(rng, 30, [2, 8], [3, 7]));
    const reference = new LearnedWitnessTest({ ...FAST, seed: 'w' });
    const expected = batches.map((b) => reference.observeBatch(b));

    for (const cut of [1, 4]) {
      let sut = new LearnedWitnessTest({ ...FAST, seed: 'w' });
      const steps = batches.slice(0, cut).map((b) => sut.observeBatch(b));
      sut = LearnedWitnessTest.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
      steps.push(...batches.slice(cut).map((b) => sut.observeBatch(b)));
      expect(steps).toEqual(expected);
      expect(sut.toJSON()).toEqual(reference.toJSON());
    }
  });

  it('can bound the training window to the most recent pairs, and still resumes exactly', () => {
    const rng = new Rng('window');
    const batches = Array.from({ length: 6 }, () => batch(rng, 30, [2, 8], [3, 7]));
    const options = { ...FAST, maxTrainingPairs: 40, seed: 'w' };
    const full = new LearnedWitnessTest({ ...FAST, seed: 'w' });
    const windowed = new LearnedWitnessTest(options);
    const expected = batches.map((b) => windowed.observeBatch(b));
    const unbounded = batches.map((b) => full.observeBatch(b));
    expect(expected.slice(0, 2)).toEqual(unbounded.slice(0, 2)); // under 40 training pairs: no difference yet
    expect(expected[5].logWealth).not.toBe(unbounded[5].logWealth);
    let sut = new LearnedWitnessTest(options);
    const steps = batches.slice(0, 3).map((b) => sut.observeBatch(b));
    sut = LearnedWitnessTest.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
    steps.push(...batches.slice(3).map((b) => sut.observeBatch(b)));
    expect(steps).toEqual(expected);
    expect(() => new LearnedWitnessTest({ maxTrainingPairs: 0 })).toThrow(RangeError);
  });

  it('resumes through the factory too, and after rejection', () => {
    const rng = new Rng('resume-factory');
    const sut = createSequentialTest('witness', { ...FAST, seed: 3 });
    while (!sut.rejected) sut.observeBatch(batch(rng, 40, [2, 8], [6, 4]));
    const restored = sequentialTestFromJSON(JSON.parse(JSON.stringify(sut)));
    expect(restored.rejected).toBe(true);
    expect(restored.samplesToReject).toBe(sut.samplesToReject);
    expect(restored.history).toEqual(sut.history);
    expect(restored.observeBatch(batch(rng, 5, [2, 8], [2, 8])).ignored).toBe(true);
  });

  it('scores batch k with a net that never saw batch k (predictability)', () => {
    const rng = new Rng('predictable');
    const history = Array.from({ length: 3 }, () => batch(rng, 40, [2, 8], [4, 6]));
    const a = new LearnedWitnessTest({ ...FAST, seed: 1 });
    const b = new LearnedWitnessTest({ ...FAST, seed: 1 });
    for (const h of history) {
      a.observeBatch(h);
      b.observeBatch(h);
    }
    // Same past, different batch k: the witness that scored it must be the same function.
    const stepA = a.observeBatch(batch(rng, 40, [2, 8], [4, 6]));
    const stepB = b.observeBatch(batch(rng, 40, [9, 1], [1, 9]));
    const grid = Array.from({ length: 11 }, (_, i) => i / 10);
    expect(grid.map((s) => a.witness(s))).toEqual(grid.map((s) => b.witness(s)));
    expect(stepA.logEValue).not.toBe(stepB.logEValue);
  });

  it('computes log B = Σ log(1 + φ(s1) − φ(s2)) − ε·n with the frozen witness and adds it to the log-wealth', () => {
    const rng = new Rng('evalue');
    const sut = new LearnedWitnessTest({ ...FAST, epsilon: 0.01, seed: 2 });
    let wealth = 0;
    for (let k = 0; k < 4; k++) {
      const pairs = batch(rng, 25, [2, 8], [3, 6]);
      const step = sut.observeBatch(pairs);
      const expected = pairs.reduce((s, [x, y]) => s + Math.log(1 + sut.witness(x) - sut.witness(y)), 0) - 0.01 * 25;
      expect(step.logEValue).toBeCloseTo(expected, 10);
      wealth += step.logEValue;
      expect(step.logWealth).toBeCloseTo(wealth, 10);
      expect(step).toMatchObject({ batchIndex: k, pairsUsed: 25, samplesUsed: 25 * (k + 1), logThreshold: Math.log(20) });
    }
    expect(sut.history.map((h) => h.samples)).toEqual([0, 25, 50, 75, 100]);
  });

  it('rejects once log-wealth ≥ log(1/α) and stays rejected', () => {
    const rng = new Rng('reject');
    const sut = new LearnedWitnessTest({ ...FAST, seed: 4 });
    let step;
    do step = sut.observeBatch(batch(rng, 50, [2, 8], [8, 2]));
    while (!step.rejected && sut.samplesUsed < 2000);
    expect(step.rejectedNow).toBe(true);
    expect(step.logWealth).toBeGreaterThanOrEqual(Math.log(20));
    expect(sut.samplesToReject).toBe(sut.samplesUsed);
    const after = sut.observeBatch(batch(rng, 50, [2, 8], [2, 8]));
    expect(after).toMatchObject({ ignored: true, rejected: true, rejectedNow: false, logEValue: 0, samplesUsed: sut.samplesToReject });
  });

  it('drops non-finite pairs, never produces NaN, and survives extreme scores', () => {
    const sut = new LearnedWitnessTest({ ...FAST, seed: 5 });
    const step = sut.observeBatch([[0.1, NaN], [Infinity, 0.2], [1e9, -1e9], [0.3, 0.4]]);
    expect(step).toMatchObject({ pairsUsed: 2, droppedPairs: 2 });
    for (let k = 0; k < 3; k++) sut.observeBatch([[1e9, -1e9], [-1e9, 1e9], [0.5, 0.5]]);
    expect(Number.isFinite(sut.logWealth)).toBe(true);
    expect(sut.observeBatch([[NaN, 1]])).toMatchObject({ ignored: true, pairsUsed: 0, droppedPairs: 1 });
  });

  it('trains with early stopping and the configured epoch cap', () => {
    const rng = new Rng('epochs');
    const sut = new LearnedWitnessTest({ hiddenSize: 4, maxEpochs: 7, patience: 2, seed: 6 });
    for (let k = 0; k < 5; k++) sut.observeBatch(batch(rng, 20, [2, 8], [2, 8]));
    expect(sut.epochs).toHaveLength(4); // rounds before batches 1..4 (the round after batch 4 is still pending)
    for (const e of sut.epochs) {
      expect(e).toBeGreaterThanOrEqual(1);
      expect(e).toBeLessThanOrEqual(7);
    }
  });

  it('validates its options', () => {
    expect(() => new LearnedWitnessTest({ alpha: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ epsilon: -0.1 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ patience: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ minibatchSize: 0 })).toThrow(RangeError);
    expect(() => createSequentialTest('nope' as never)).toThrow(RangeError);
  });
});
