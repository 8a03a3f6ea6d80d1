/**
 * Forge training throughput: the onnxruntime engine (hand-differentiated ONNX training graphs, MLAS matmuls) against
 * the former tfjs-wasm trainer (`engine: 'tfjs'`, the same GptModel, ops and loop it used) on the same models, in the
 * same run, rounds interleaved so that load from other processes hits both alike. Both use one core.
 *
 * Models (GPT-2 layout; the token values do not affect speed, so Shakespeare characters are folded into each vocab):
 * - demo: DEMO_RECIPE's L, 2 layers × 4 heads × 64 wide, context 96, vocab 2048, batch 16 (the headline);
 * - test: the train-perf spec's, 1 layer × 2 heads × 64, context 64, vocab 67, batch 32;
 * - cli: `assay forge lm`'s defaults at vocab 1024, 2 layers × 4 heads × 128, context 128, batch 16 (≈ 0.54 M params).
 *
 * model_gflops = tokens/s × 3 × forward matmul FLOPs per token (attention included) / 1e9. matmul_ceiling_gflops is the
 * best single onnxruntime MatMul on this machine in this run (square 256…1024, same thread count): the peak a
 * training step's largest product could reach, so ceiling_fraction is conservative. The *_cpu figures divide by CPU
 * seconds instead of wall-clock seconds (both engines and the ceiling run on one thread), which is what a shared,
 * loaded machine distorts least.
 *
 * Flags: --seconds S per measurement (default 4), --rounds N (default 2), --threads N (default 1), --models a,b.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GptTrainer, OnnxDataType, OnnxGraphBuilder } from '@assay/forge';

const SHAKESPEARE = path.resolve(__dirname, '../../../shared/data/tinyshakespeare/input.txt');
const log = (message: string) => console.error(`[forge bench] ${message}`);

interface BenchModel {
  name: string;
  model: { vocabSize: number; contextLength: number; layers: number; heads: number; dim: number };
  batchSize: number;
}

const MODELS: BenchModel[] = [
  { name: 'demo', model: { vocabSize: 2048, contextLength: 96, layers: 2, heads: 4, dim: 64 }, batchSize: 16 },
  { name: 'test', model: { vocabSize: 67, contextLength: 64, layers: 1, heads: 2, dim: 64 }, batchSize: 32 },
  { name: 'cli', model: { vocabSize: 1024, contextLength: 128, layers: 2, heads: 4, dim: 128 }, batchSize: 16 },
];

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

/** GFLOP/s (wall clock, and per CPU second) of the best of a few square MatMuls, each timed 3 × 0.25 s after warmup. */
async function matmulCeiling(threads: number): Promise<{ gflops: number; gflopsPerCpuSec: number; bySize: Record<number, number> }> {
  const bySize: Record<number, number> = {};
  let perCpu = 0;
  for (const n of [256, 512, 1024]) {
    const g = new OnnxGraphBuilder('matmul');
    g.op('MatMul', [g.input('a', OnnxDataType.FLOAT, [n, n]), g.input('b', OnnxDataType.FLOAT, [n, n])], {}, 'c');
    g.output('c', OnnxDataType.FLOAT, [n, n]);
    const session = await ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13), [n, n]);
    const b = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11), [n, n]);
    for (let i = 0; i < 3; i++) await session.run({ a, b });
    let best = 0;
    for (let rep = 0; rep < 3; rep++) {
      let runs = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      while (performance.now() - t0 < 250) {
        await session.run({ a, b });
        runs++;
      }
      const cpu = process.cpuUsage(cpu0);
      best = Math.max(best, (2 * n ** 3 * runs) / ((performance.now() - t0) / 1000) / 1e9);
      perCpu = Math.max(perCpu, (2 * n ** 3 * runs) / ((cpu.user + cpu.system) / 1e6) / 1e9);
    }
    bySize[n] = +best.toFixed(1);
    await session.release();
  }
  return { gflops: Math.max(...Object.values(bySize)), gflopsPerCpuSec: perCpu, bySize };
}

/** Training steps for `seconds` after `warmup` steps; tokens per wall-clock and per CPU second. */
async function measure(trainer: { trainStep(): Promise<number> }, tokensPerStep: number, seconds: number): Promise<{ tokensPerSec: number; tokensPerCpuSec: number; steps: number }> {
  let steps = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await trainer.trainStep();
    steps++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { tokensPerSec: (steps * tokensPerStep) / wall, tokensPerCpuSec: (steps * tokensPerStep) / ((cpu.user + cpu.system) / 1e6), steps };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const seconds = Number(flag(args, 'seconds', '4'));
  const rounds = Number(flag(args, 'rounds', '2'));
  const threads = Number(flag(args, 'threads', '1'));
  const wanted = flag(args, 'models', MODELS.map((m) => m.name).join(',')).split(',');
  const text = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 300_000);
  const ceiling = await matmulCeiling(threads);
  log(`onnxruntime MatMul ceiling (${threads} thread): ${JSON.stringify(ceiling.bySize)} GFLOP/s, ${ceiling.gflopsPerCpuSec.toFixed(1)} GFLOP per CPU-second; load average ${os.loadavg()[0].toFixed(2)}`);
  const results: Record<string, Record<string, number>> = {};
  for (const m of MODELS.filter((x) => wanted.includes(x.name))) {
    const V = m.model.vocabSize;
    const examples = text.split('\n\n').map((s) => Array.from(s, (ch) => 2 + (ch.charCodeAt(0) % (V - 2))));
    const options = { model: m.model, examples, bosId: 0, eosId: 1, batchSize: m.batchSize, maxSteps: 100_000, seed: 1, threads };
    const ortTrainer = await GptTrainer.create(options);
    const tfjsTrainer = await GptTrainer.create({ ...options, engine: 'tfjs' });
    const tokensPerStep = m.batchSize * m.model.contextLength;
    for (const t of [ortTrainer, tfjsTrainer]) for (let i = 0; i < 3; i++) await t.trainStep();
    const ortRuns: Awaited<ReturnType<typeof measure>>[] = [];
    const tfjsRuns: Awaited<ReturnType<typeof measure>>[] = [];
    for (let r = 0; r < rounds; r++) {
      ortRuns.push(await measure(ortTrainer, tokensPerStep, seconds));
      tfjsRuns.push(await measure(tfjsTrainer, tokensPerStep, seconds));
    }
    const mean = (runs: typeof ortRuns, key: 'tokensPerSec' | 'tokensPerCpuSec') => runs.reduce((s, r) => s + r[key], 0) / runs.length;
    const tokensPerSec = mean(ortRuns, 'tokensPerSec');
    const baseline = mean(tfjsRuns, 'tokensPerSec');
    const flopsPerToken = 3 * ortTrainer.arch.forwardFlopsPerToken(m.model.contextLength);
    const modelGflops = (tokensPerSec * flopsPerToken) / 1e9;
    results[m.name] = {
      parameters: ortTrainer.parameterCount(),
      tokens_per_s: Math.round(tokensPerSec),
      baseline_tokens_per_s: Math.round(baseline),
      tokens_per_cpu_s: Math.round(mean(ortRuns, 'tokensPerCpuSec')),
      baseline_tokens_per_cpu_s: Math.round(mean(tfjsRuns, 'tokensPerCpuSec')),
      model_gflops: +modelGflops.toFixed(2),
      baseline_model_gflops: +((baseline * flopsPerToken) / 1e9).toFixed(2),
      ceiling_fraction: +(modelGflops / ceiling.gflops).toFixed(3),
      // Both in CPU seconds: what time-sharing with other processes does not distort.
      ceiling_fraction_cpu: +((mean(ortRuns, 'tokensPerCpuSec') * flopsPerToken) / 1e9 / ceiling.gflopsPerCpuSec).toFixed(3),
      speedup_vs_baseline: +(tokensPerSec / baseline).toFixed(2),
      speedup_vs_baseline_cpu: +(mean(ortRuns, 'tokensPerCpuSec') / mean(tfjsRuns, 'tokensPerCpuSec')).toFixed(2),
    };
    log(`${m.name}: ${JSON.stringify(results[m.name])}`);
    await ortTrainer.dispose();
    await tfjsTrainer.dispose();
  }
  const head = results.demo ?? Object.values(results)[0];
  return {
    tokens_per_s: head.tokens_per_s,
    model_gflops: head.model_gflops,
    matmul_ceiling_gflops: +ceiling.gflops.toFixed(1),
    ceiling_fraction: head.ceiling_fraction,
    ceiling_fraction_cpu: head.ceiling_fraction_cpu,
    speedup_vs_baseline_cpu: head.speedup_vs_baseline_cpu,
    speedup_vs_baseline: head.speedup_vs_baseline,
    min_speedup_vs_baseline: Math.min(...Object.values(results).map((r) => r.speedup_vs_baseline)),
    threads,
    load_average: +os.loadavg()[0].toFixed(2),
    models: results,
  };
}
