import * as os from 'os';
import { GptTrainer } from '../src/train';
import { charCorpus } from './train-corpus';

/**
 * Throughput of the reference configuration (1 layer, 2 heads, dim 64, context 64, batch 32).
 * Wall time depends on machine load, so CPU time is reported beside it; the assertion is only a floor.
 */
describe('GptTrainer throughput (onnxruntime, one thread)', () => {
  it('measures steps/s and tokens/s for 1 layer / 2 heads / dim 64 / context 64 / batch 32', async () => {
    const corpus = charCorpus(100_000);
    const trainer = await GptTrainer.create({
      model: { vocabSize: corpus.vocabSize, contextLength: 64, layers: 1, heads: 2, dim: 64 },
      examples: corpus.examples,
      bosId: corpus.bosId,
      eosId: corpus.eosId,
      batchSize: 32,
      maxSteps: 1000,
      seed: 3,
    });
    try {
      for (let i = 0; i < 3; i++) await trainer.trainStep();
      const steps = 30;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await trainer.trainStep();
      const wallSec = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      const tokens = steps * 32 * 64;
      const line = {
        stepsPerSec: +(steps / wallSec).toFixed(2),
        tokensPerSec: Math.round(tokens / wallSec),
        stepsPerCpuSec: +(steps / cpuSec).toFixed(2),
        tokensPerCpuSec: Math.round(tokens / cpuSec),
        parameters: trainer.parameterCount(),
        loadAverage: os.loadavg()[0],
      };
      console.log(`[train-perf] ${JSON.stringify(line)}`);
      expect(line.stepsPerSec).toBeGreaterThan(2);
    } finally {
      await trainer.dispose();
    }
  });
});
