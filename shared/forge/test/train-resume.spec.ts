import {
  decodeCheckpoint,
  encodeCheckpoint,
  GptTrainer,
  GptTrainerCheckpoint,
  trainGpt,
  TrainGptOptions,
} from '../src/train';
import { flattenGptWeights, GptWeights } from '../src/gpt/gpt-weights';
import { charCorpus } from './train-corpus';

const corpus = charCorpus(30_000);

function options(extra: Partial<TrainGptOptions> = {}): TrainGptOptions {
  return {
    model: { vocabSize: corpus.vocabSize, contextLength: 24, layers: 2, heads: 2, dim: 32 },
    examples: corpus.examples,
    bosId: corpus.bosId,
    eosId: corpus.eosId,
    batchSize: 8,
    maxSteps: 20,
    learningRate: 5e-3,
    warmupSteps: 4,
    dropout: 0.1,
    evalEvery: 5,
    evalWindows: 16,
    seed: 42,
    ...extra,
  };
}

function maxWeightDiff(a: GptWeights, b: GptWeights): number {
  const arrays = (w: GptWeights): Float32Array[] => [...flattenGptWeights(w).values()];
  const bs = arrays(b);
  let max = 0;
  arrays(a).forEach((arr, i) => arr.forEach((v, j) => (max = Math.max(max, Math.abs(v - bs[i][j])))));
  return max;
}

describe('GptTrainer checkpoint / resume / fine-tune (onnxruntime)', () => {
  it('20 steps straight equal 10 steps, a binary checkpoint, a new trainer and 10 more', async () => {
    const straightLosses: number[] = [];
    const straight = await trainGpt(options({ onProgress: (p) => straightLosses.push(p.loss) }));

    // A job worker that is killed right after its checkpoint at step 10.
    const firstLosses: number[] = [];
    let stored: Uint8Array | undefined;
    const kill = new AbortController();
    const first = await trainGpt(
      options({
        onProgress: (p) => firstLosses.push(p.loss),
        checkpointEvery: 10,
        onCheckpoint: (ckpt) => {
          stored = encodeCheckpoint(ckpt);
          kill.abort();
        },
        signal: kill.signal,
      }),
    );
    expect(first.report.stopReason).toBe('aborted');
    expect(first.report.steps).toBe(10);
    expect(firstLosses).toEqual(straightLosses.slice(0, 10));

    const snapshot = decodeCheckpoint<GptTrainerCheckpoint>(stored!);
    expect(snapshot.step).toBe(10);
    expect(snapshot.optimizer.step).toBe(10);
    expect(snapshot.bestStep).toBe(10);
    expect(snapshot.bestWeights).toBeDefined();

    const resumedLosses: number[] = [];
    const resumed = await trainGpt(options({ resumeFrom: snapshot, onProgress: (p) => resumedLosses.push(p.loss) }));
    expect(resumed.report.steps).toBe(20);
    expect(resumed.report.tokensSeen).toBe(straight.report.tokensSeen);
    expect(resumedLosses).toHaveLength(10);
    resumedLosses.forEach((loss, i) => expect(Math.abs(loss - straightLosses[10 + i])).toBeLessThanOrEqual(1e-6));
    expect(maxWeightDiff(resumed.weights, straight.weights)).toBeLessThanOrEqual(1e-6);
    expect(resumed.report.valLoss!).toBeCloseTo(straight.report.valLoss!, 6);
    expect(resumed.report.bestStep).toBe(straight.report.bestStep);
  });

  it('refuses a checkpoint taken on different data or a different architecture', async () => {
    const trainer = await GptTrainer.create(options());
    const ckpt = trainer.checkpoint();
    await trainer.dispose();
    const otherData = await GptTrainer.create(options({ examples: corpus.examples.slice(1) }));
    expect(() => otherData.resumeFrom(ckpt)).toThrow(/different data/);
    await otherData.dispose();
    const otherShape = await GptTrainer.create(options({ model: { vocabSize: corpus.vocabSize, contextLength: 24, layers: 1, heads: 2, dim: 32 } }));
    expect(() => otherShape.resumeFrom(ckpt)).toThrow(/architecture/);
    await otherShape.dispose();
  });

  it('fine-tuning from exported weights starts at the loss the first run ended with, then improves', async () => {
    const base = await trainGpt(options({ maxSteps: 40, dropout: 0, restoreBest: false }));
    const tuner = await GptTrainer.create(options({ initialWeights: base.weights, model: undefined, maxSteps: 40, dropout: 0 }));
    try {
      expect((await tuner.evaluate())!).toBeCloseTo(base.report.valLoss!, 5);
      const tuned = await tuner.run();
      expect(tuned.report.valLoss!).toBeLessThan(base.report.valLoss! - 0.05);
    } finally {
      await tuner.dispose();
    }
  });

  it('fine-tunes on different text (a later play) from the same weights', async () => {
    const base = await trainGpt(options({ maxSteps: 30, dropout: 0 }));
    const other = charCorpus(20_000, 500_000);
    const { report } = await trainGpt({ ...options({ maxSteps: 30, dropout: 0 }), model: undefined, initialWeights: base.weights, examples: other.examples });
    expect(report.steps).toBe(30);
    expect(report.valLoss!).toBeLessThan(Math.log(corpus.vocabSize) - 0.8);
  });

  it('stops early when validation stops improving by minDelta', async () => {
    const { report } = await trainGpt(options({ maxSteps: 100, dropout: 0, evalEvery: 4, patience: 2, minDelta: 10 }));
    expect(report.stopReason).toBe('early-stopping');
    // The first validation (step 4) sets the baseline; two more without a 10-nat gain stop the run.
    expect(report.steps).toBe(12);
  });

  it('returns the weights with the lowest validation loss seen (restoreBest)', async () => {
    const valLosses = new Map<number, number>();
    // A constant learning rate far too high, so validation loss wanders up and down.
    const { weights, report } = await trainGpt(
      options({ maxSteps: 16, warmupSteps: 0, dropout: 0, evalEvery: 2, learningRate: 0.5, minLearningRate: 0.5, gradClipNorm: 0, onProgress: (p) => valLosses.set(p.step, p.valLoss!) }),
    );
    const seen = [...valLosses.entries()].filter(([step]) => step % 2 === 0).map(([, v]) => v);
    expect(report.bestValLoss).toBe(Math.min(...seen));
    expect(report.valLoss).toBe(report.bestValLoss);
    expect(report.bestStep).toBeLessThan(report.steps); // the restore path really ran
    const trainer = await GptTrainer.create(options({ initialWeights: weights, model: undefined }));
    expect((await trainer.evaluate())!).toBeCloseTo(report.bestValLoss!, 5);
    await trainer.dispose();
    console.log(`[train-resume.spec] val losses ${seen.map((v) => v.toFixed(3)).join(' ')}; best at step ${report.bestStep}`);
  });
});
