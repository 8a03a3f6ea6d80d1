/**
 * `npm run bench -- audit-simulate [--runs 300] [--baseline-runs 3] [--workers n] [--reference d --candidate d]`:
 * the planning simulation of issue 16 item 6 (`assay audit simulate`, default witness test, budget 2000, batch 50),
 * timed through the same code as the command (worker threads), against the code it replaced in the same run.
 *
 * Baseline: the simulator of commit c04271b (per-sample witness loops, no step cap, one thread), extracted from git
 * into a temporary directory and run on the first `--baseline-runs` runs of the same seeds. Null scores by default
 * (beta:2,8 both sides), where every run spends its whole budget: the slowest case, as in the 10 s a run.
 * Prints one JSON object last: {runs, seconds, seconds_per_run, baseline_seconds_per_run, speedup, ...}, plus CPU
 * seconds per run for both (load-independent: on a shared machine wall time mostly measures the neighbours).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimulateAuditOptions, SimulateAuditResult } from '@assay/stats';
import { defaultWorkers, runAuditSimulation } from '../../shared/cli/src/commands/audit-simulate';

const BASELINE_COMMIT = 'c04271b';
const ROOT = path.resolve(__dirname, '../..');

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

/** The pre-change simulator, or null when git cannot provide it (e.g. a source tarball without history). */
function loadBaseline(): ((options: SimulateAuditOptions) => SimulateAuditResult) | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-stats-'));
  try {
    const tar = path.join(dir, 'stats.tar');
    execFileSync('git', ['-C', ROOT, 'archive', '-o', tar, BASELINE_COMMIT, 'shared/stats/src'], { stdio: 'ignore' });
    execFileSync('tar', ['-xf', tar, '-C', dir], { stdio: 'ignore' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.join(dir, 'shared/stats/src/index.ts')) as { simulateAudit: (o: SimulateAuditOptions) => SimulateAuditResult }).simulateAudit;
  } catch (error) {
    console.error(`[audit-simulate bench] no baseline: cannot extract ${BASELINE_COMMIT} from git (${(error as Error).message})`);
    return null;
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Number(flag(args, 'runs', '300'));
  const baselineRuns = Number(flag(args, 'baseline-runs', '3'));
  const workers = Number(flag(args, 'workers', String(Math.min(2, defaultWorkers()))));
  const options = {
    reference: flag(args, 'reference', 'beta:2,8'),
    candidate: flag(args, 'candidate', 'beta:2,8'),
    runs,
    batchSize: 50,
    budget: 2000,
    test: 'witness' as const,
    seed: 'bench',
  };

  console.error(`[audit-simulate bench] ${runs} runs of ${options.reference} vs ${options.candidate}, budget 2000, ${workers} workers ...`);
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since); // the whole process: this thread and the workers
    return (used.user + used.system) / 1e6;
  };
  let cpu = process.cpuUsage();
  let started = performance.now();
  const current = await runAuditSimulation(options, {
    workers,
    onRun: (done, total, rejections) => {
      if (done % Math.max(1, Math.round(total / 10)) === 0 || done === total) {
        console.error(`[audit-simulate bench]   ${done}/${total} runs, ${rejections} rejected, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const currentCpu = cpuSeconds(cpu);

  let baselineSecondsPerRun: number | null = null;
  let baselineCpuPerRun: number | null = null;
  let baselineRejections: number | null = null;
  const baseline = baselineRuns > 0 ? loadBaseline() : null;
  if (baseline) {
    console.error(`[audit-simulate bench] baseline: commit ${BASELINE_COMMIT}, ${baselineRuns} runs on one thread ...`);
    cpu = process.cpuUsage();
    started = performance.now();
    const old = baseline({ ...options, runs: baselineRuns });
    baselineSecondsPerRun = (performance.now() - started) / 1000 / baselineRuns;
    baselineCpuPerRun = cpuSeconds(cpu) / baselineRuns;
    baselineRejections = old.rejections;
    console.error(`[audit-simulate bench]   ${baselineSecondsPerRun.toFixed(2)} s per run`);
  }
  const secondsPerRun = seconds / runs;
  return {
    runs,
    seconds: Number(seconds.toFixed(2)),
    seconds_per_run: Number(secondsPerRun.toFixed(4)),
    baseline_seconds_per_run: baselineSecondsPerRun === null ? null : Number(baselineSecondsPerRun.toFixed(3)),
    speedup: baselineSecondsPerRun === null ? null : Number((baselineSecondsPerRun / secondsPerRun).toFixed(1)),
    workers,
    // CPU time does not depend on what else the machine runs: the speedup a quiet machine would show.
    cpu_seconds_per_run: Number((currentCpu / runs).toFixed(4)),
    baseline_cpu_seconds_per_run: baselineCpuPerRun === null ? null : Number(baselineCpuPerRun.toFixed(3)),
    cpu_speedup: baselineCpuPerRun === null ? null : Number((baselineCpuPerRun / (currentCpu / runs)).toFixed(1)),
    load_average: Number(os.loadavg()[0].toFixed(2)),
    rejection_rate: current.rejection_rate,
    median_samples_to_reject: current.median_samples_to_reject,
    baseline_runs: baseline ? baselineRuns : 0,
    baseline_rejections: baselineRejections,
  };
}
