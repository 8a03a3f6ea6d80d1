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

  it('reproduces the uncapped schedule of the reference code bit for bit (recorded with commit c04271b)', () => {
    const data = new Rng('golden-test');
    const sut = new LearnedWitnessTest({ seed: 'golden', maxStepsPerRound: null });
    for (let k = 0; k < 12; k++) sut.observeBatch(Array.from({ length: 40 }, () => [data.beta(2, 8), data.beta(2, 8)] as const));
    expect(sut.history.map((h) => h.logWealth)).toEqual([
      0, 0.058173128474037064, 0.37365396637830894, -0.041977152882472, -0.31879335134158715, 0.6474975541142763, 0.07234570889135361,
      -0.17974602350461172, -0.5303163901732224, 0.3970869347345307, -0.11752378699937871, -0.24074143790292638, 0.17060308490495216,
    ]);
    expect(sut.epochs).toEqual([11, 21, 10, 10, 11, 10, 10, 10, 11, 10, 10]);
  });

  it('caps the Adam steps of each round (default 20), ending the epoch where the cap falls', () => {
    const rng = new Rng('cap');
    const batches = Array.from({ length: 6 }, () => batch(rng, 50, [2, 8], [2, 8]));
    const capped = new LearnedWitnessTest({ hiddenSize: 4, seed: 7 });
    const uncapped = new LearnedWitnessTest({ hiddenSize: 4, seed: 7, maxStepsPerRound: null });
    for (const b of batches) {
      capped.observeBatch(b);
      uncapped.observeBatch(b);
    }
    // Minibatch 50. Round 1 trains on the 40 training pairs of batch 0 (1 step per epoch), round k ≥ 2 on 50·(k − 1)
    // pairs (k − 1 steps per epoch), so 20 steps allow 20, 20, 10, 7, 5 epochs; round 2 stops early (patience 10).
    expect(capped.epochs).toEqual([20, 10, 10, 7, 5]);
    capped.epochs.forEach((e, r) => expect(e).toBeLessThanOrEqual(Math.ceil(20 / Math.max(1, r))));
    expect(capped.toJSON().options.maxStepsPerRound).toBe(20);
    expect(uncapped.epochs.some((e, k) => e * (k + 1) > 20)).toBe(true);
    expect(capped.logWealth).not.toBe(uncapped.logWealth);
  });

  it('resumes a checkpoint saved before the step cap existed on its original, uncapped schedule', () => {
    const rng = new Rng('legacy');
    const batches = Array.from({ length: 5 }, () => batch(rng, 30, [2, 8], [2, 8]));
    const reference = new LearnedWitnessTest({ ...FAST, seed: 'w', maxStepsPerRound: null });
    const expected = batches.map((b) => reference.observeBatch(b));
    const first = new LearnedWitnessTest({ ...FAST, seed: 'w', maxStepsPerRound: null });
    const steps = batches.slice(0, 2).map((b) => first.observeBatch(b));
    const legacy = JSON.parse(JSON.stringify(first.toJSON()));
    delete legacy.options.maxStepsPerRound;
    const sut = LearnedWitnessTest.fromJSON(legacy);
    steps.push(...batches.slice(2).map((b) => sut.observeBatch(b)));
    expect(steps).toEqual(expected);
  });

  it('validates its options', () => {
    expect(() => new LearnedWitnessTest({ alpha: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ epsilon: -0.1 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ patience: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ minibatchSize: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ maxStepsPerRound: 0 })).toThrow(RangeError);
    expect(() => new LearnedWitnessTest({ maxStepsPerRound: 2.5 })).toThrow(RangeError);
    expect(() => createSequentialTest('nope' as never)).toThrow(RangeError);
  });
});
