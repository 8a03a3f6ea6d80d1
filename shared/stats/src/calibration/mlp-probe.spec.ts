import { Rng } from '../rng';
import { featureStandardization, MlpProbe, trainProbe, trainProbeAsync } from './mlp-probe';
import { correctnessAuroc } from './scores';

function vectors(rng: Rng, n: number, d: number): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, () => rng.normal(0, 1)));
}

describe('MlpProbe', () => {
  it('has the spec shape d→256→128→64→2 by default and Xavier-normal weights', () => {
    const sut = MlpProbe.create(16, [256, 128, 64], new Rng(1));
    expect(sut.sizes).toEqual([16, 256, 128, 64, 2]);
    expect(sut.params.length).toBe(16 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 64 * 2 + 2);
    // The first layer's weights have std √(2/(16 + 256)) ≈ 0.0857.
    const w = Array.from(sut.params.subarray(0, 16 * 256));
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.08);
    expect(sd).toBeLessThan(0.092);
  });

  it('backprop matches central finite differences of the mean cross-entropy for every parameter', () => {
    const rng = new Rng('probe-grad');
    const sut = MlpProbe.create(3, [5, 4], rng, featureStandardization(vectors(rng, 10, 3)));
    const xs = vectors(rng, 6, 3);
    const labels = [1, 0, 1, 1, 0, 0];
    const idx = [0, 1, 2, 3, 4, 5];
    sut.lossAndGradient(xs, labels, idx);
    const analytic = Array.from(sut.grad);
    const h = 1e-6;
    let worst = 0;
    for (let p = 0; p < sut.params.length; p++) {
      const saved = sut.params[p];
      sut.params[p] = saved + h;
      const up = sut.loss(xs, labels);
      sut.params[p] = saved - h;
      const down = sut.loss(xs, labels);
      sut.params[p] = saved;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - analytic[p]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[p])));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(sut.lossAndGradient(xs, labels, idx)).toBeCloseTo(sut.loss(xs, labels), 12);
  });

  it('gives P(correct) = softmax(logits / T)[1]', () => {
    const sut = MlpProbe.create(2, [3], new Rng(2));
    const x = [0.3, -1.2];
    const [z0, z1] = sut.logits(x);
    expect(sut.pCorrect(x)).toBeCloseTo(1 / (1 + Math.exp(z0 - z1)), 12);
    expect(sut.pCorrect(x, 2)).toBeCloseTo(1 / (1 + Math.exp((z0 - z1) / 2)), 12);
    expect(() => sut.logits([1])).toThrow(RangeError);
  });

  it('round-trips through JSON, standardisation included', () => {
    const rng = new Rng(3);
    const sut = MlpProbe.create(4, [6], rng, featureStandardization(vectors(rng, 20, 4)));
    const copy = MlpProbe.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())));
    const x = [0.1, 0.2, -0.3, 2];
    expect(copy.logits(x)).toEqual(sut.logits(x));
    expect(() => MlpProbe.fromJSON({ ...sut.toJSON(), params: [1] })).toThrow(RangeError);
  });
});

describe('trainProbe', () => {
  it('learns where the features carry correctness, keeping the best validation epoch', () => {
    const rng = new Rng('probe-train');
    const d = 8;
    const w = Array.from({ length: d }, () => rng.normal(0, 1));
    const make = (n: number) => {
      const features = vectors(rng, n, d).map((x) => x.map((v) => 3 * v + 10)); // scale and offset: standardisation's job
      const labels = features.map((x) => {
        const s = x.reduce((acc, v, j) => acc + ((v - 10) / 3) * w[j], 0);
        return rng.next() < 1 / (1 + Math.exp(-2 * s)) ? 1 : 0;
      });
      return { features, labels };
    };
    const train = make(600);
    const validation = make(200);
    const test = make(400);
    const epochs: number[] = [];
    const result = trainProbe(train, validation, { hidden: [32, 16], maxEpochs: 40, patience: 5, seed: 1, onEpoch: (e) => epochs.push(e.epoch) });
    expect(epochs).toEqual(result.history.map((h) => h.epoch));
    const best = Math.min(...result.history.map((h) => h.validationLoss!));
    expect(result.probe.loss(validation.features, validation.labels)).toBeCloseTo(best, 12);
    expect(result.history[result.bestEpoch - 1].validationLoss).toBe(best);
    const auroc = correctnessAuroc(test.features.map((x) => result.probe.pCorrect(x)), test.labels);
    expect(auroc).toBeGreaterThan(0.85);
    // Same seed, same probe.
    expect(trainProbe(train, validation, { hidden: [32, 16], maxEpochs: 3, seed: 1 }).probe.toJSON()).toEqual(
      trainProbe(train, validation, { hidden: [32, 16], maxEpochs: 3, seed: 1 }).probe.toJSON(),
    );
  });

  it('trains the same probe when it yields to the event loop between epochs (early stopping included)', async () => {
    const rng = new Rng('probe-async');
    const features = vectors(rng, 120, 4);
    const labels = features.map((x) => (x[0] + 0.5 * rng.normal(0, 1) > 0 ? 1 : 0));
    const validation = { features: features.slice(80), labels: labels.slice(80) };
    const train = { features: features.slice(0, 80), labels: labels.slice(0, 80) };
    const options = { hidden: [8], maxEpochs: 30, patience: 3, seed: 4 };
    const sync = trainProbe(train, validation, options);
    const epochs: number[] = [];
    const async = await trainProbeAsync(train, validation, { ...options, onEpoch: (e) => epochs.push(e.epoch) });
    expect(async.probe.toJSON()).toEqual(sync.probe.toJSON());
    expect([async.epochs, async.bestEpoch]).toEqual([sync.epochs, sync.bestEpoch]);
    expect(epochs).toEqual(sync.history.map((h) => h.epoch));
  });

  it('rejects bad input', () => {
    expect(() => trainProbe({ features: [], labels: [] }, null)).toThrow(RangeError);
    expect(() => trainProbe({ features: [[1, 2]], labels: [2] }, null)).toThrow(RangeError);
    expect(() => trainProbe({ features: [[1, 2], [1]], labels: [0, 1] }, null)).toThrow(RangeError);
    expect(() => trainProbe({ features: [[1, NaN]], labels: [0] }, null)).toThrow(RangeError);
    expect(() => trainProbe({ features: [[1, 2]], labels: [0] }, null, { batchSize: 0 })).toThrow(RangeError);
  });
});
