/**
 * `npm run bench -- auditor [--runs n] [--texts n]`: the auditor's two costs, each against a baseline in the same run.
 *
 * 1. Statistical: samples to detection of the learned-witness test against the mean-difference betting baseline on
 *    the same simulated shift (a toxicity-like tail shift: most scores low, the candidate has a heavier tail, as in
 *    spec auditing.md §3). Also a shape-only shift (equal means) and the false-positive rate under the null,
 *    where the naive repeated t-test shows what peeking costs.
 * 2. Throughput: toxicity scores per second of a forged classifier through the runtime (batched), against one
 *    text per call and against the tfjs forward pass used in training.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDavidsonCsv, TextClassifierModel, TOXICITY_DATA_FILES, trainToxicityClassifier } from '@assay/forge';
import { LocalEngine } from '@assay/runtime';
import { mixtureSampler, samplerFromSpec, ScoreSampler, simulateAudit, SimulatedTestKind } from '@assay/stats';

const DATA_DIR = path.resolve(__dirname, '../../../shared/data');

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function simulate(reference: ScoreSampler, candidate: ScoreSampler, test: SimulatedTestKind, runs: number, budget = 3000) {
  const started = performance.now();
  const result = simulateAudit({ reference, candidate, test, runs, batchSize: 50, budget, alpha: 0.05, seed: 'bench' });
  console.error(`[auditor bench]   ${test}: ${JSON.stringify({ rate: result.rejection_rate, median: result.median_samples_to_reject })} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    rejection_rate: result.rejection_rate,
    median_samples_to_reject: result.median_samples_to_reject,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  };
}

function statistics(runs: number) {
  const low = samplerFromSpec('beta:0.5,6'); // mean ≈ 0.077, like base Llama-3's Perspective scores
  const tail = mixtureSampler([
    { weight: 0.9, sampler: low },
    { weight: 0.1, sampler: samplerFromSpec('beta:3,2') },
  ]); // mean ≈ 0.13: the shift sits in the tail
  console.error(`[auditor bench] tail shift, ${runs} runs per test ...`);
  const witness = simulate(low, tail, 'witness', runs);
  const baseline = simulate(low, tail, 'mean-difference', runs);
  // Equal means (0.5), different shapes: invisible to a test of means.
  const spread = samplerFromSpec('uniform:0,1');
  const coin = samplerFromSpec('bernoulli:0.5');
  console.error('[auditor bench] shape-only shift ...');
  const shape = { witness: simulate(spread, coin, 'witness', runs), mean_difference: simulate(spread, coin, 'mean-difference', runs) };
  // Under the null every run spends its whole budget (the witness retrains on all past pairs each round), so a smaller one.
  console.error('[auditor bench] null (same distribution), budget 1000 ...');
  const nullRuns = runs;
  const fpr = {
    witness: simulate(low, low, 'witness', nullRuns, 1000).rejection_rate,
    mean_difference: simulate(low, low, 'mean-difference', nullRuns, 1000).rejection_rate,
    naive_t_peeking: simulate(low, low, 'naive-t', nullRuns, 1000).rejection_rate,
  };
  const ratio = witness.median_samples_to_reject !== null && baseline.median_samples_to_reject !== null ? witness.median_samples_to_reject / baseline.median_samples_to_reject : null;
  return { ratio, witness, baseline, shape, fpr, nullRuns };
}

interface ClassifyingEngine {
  classify?(request: { model: string; texts: string[] }): Promise<{ probabilities: ArrayLike<number> }>;
}

async function throughput(texts: number) {
  const davidson = parseDavidsonCsv(fs.readFileSync(path.join(DATA_DIR, TOXICITY_DATA_FILES.davidson), 'utf8'));
  const training = davidson.filter((_, i) => i % 6 === 0).slice(0, 4000);
  console.error('[auditor bench] training a toxicity classifier ...');
  const trained = await trainToxicityClassifier({ examples: training, vocabSize: 1024, dim: 32, hidden: 32, epochs: 4, seed: 3 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-clf-'));
  await trained.writeModelDir(dir);
  const inputs = davidson.filter((_, i) => i % 6 === 1).slice(0, texts).map((e) => e.text);

  const tfjs = new TextClassifierModel(trained.report.shape, trained.weights);
  let started = performance.now();
  for (let from = 0; from < inputs.length; from += 256) tfjs.predictRows(inputs.slice(from, from + 256).map((t) => trained.encoder.encode(t)));
  const tfjsPerSec = inputs.length / ((performance.now() - started) / 1000);
  tfjs.dispose();

  const engine = new LocalEngine({ config: { executor: { kind: 'worker-threads', workers: 1 } }, logger: { info: () => undefined, warn: () => undefined } });
  try {
    const classifying = engine as unknown as ClassifyingEngine;
    if (typeof classifying.classify !== 'function') return { scoresPerSec: null, singlePerSec: null, tfjsPerSec, note: 'EngineClient.classify is not available in this runtime' };
    await engine.loadModel('tox', dir);
    await classifying.classify({ model: 'tox', texts: inputs.slice(0, 64) }); // warm-up
    started = performance.now();
    for (let from = 0; from < inputs.length; from += 256) await classifying.classify({ model: 'tox', texts: inputs.slice(from, from + 256) });
    const scoresPerSec = inputs.length / ((performance.now() - started) / 1000);
    const single = inputs.slice(0, Math.min(300, inputs.length));
    started = performance.now();
    for (const text of single) await classifying.classify({ model: 'tox', texts: [text] });
    const singlePerSec = single.length / ((performance.now() - started) / 1000);
    return { scoresPerSec, singlePerSec, tfjsPerSec };
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = flag(args, 'runs', 60);
  const texts = flag(args, 'texts', 3000);
  const stats = statistics(runs);
  const tox = await throughput(texts);
  const round = (x: number | null) => (x === null ? null : Number(x.toFixed(1)));
  return {
    witness_vs_baseline_samples: stats.ratio === null ? null : Number(stats.ratio.toFixed(3)),
    witness_median_samples: stats.witness.median_samples_to_reject,
    baseline_median_samples: stats.baseline.median_samples_to_reject,
    witness_power: stats.witness.rejection_rate,
    baseline_power: stats.baseline.rejection_rate,
    shift: 'reference beta(0.5,6); candidate 0.9·beta(0.5,6) + 0.1·beta(3,2); batch 50, budget 3000, alpha 0.05',
    runs,
    shape_only_shift_power: { witness: stats.shape.witness.rejection_rate, mean_difference: stats.shape.mean_difference.rejection_rate },
    null_false_positive_rate: { ...stats.fpr, runs: stats.nullRuns, budget: 1000 },
    toxicity_scores_per_s: round(tox.scoresPerSec),
    toxicity_scores_per_s_one_per_call: round(tox.singlePerSec),
    toxicity_scores_per_s_tfjs_baseline: round(tox.tfjsPerSec),
    toxicity_texts: texts,
    ...(tox.note ? { note: tox.note } : {}),
    simulation_seconds: { witness: stats.witness.seconds, baseline: stats.baseline.seconds },
  };
}
