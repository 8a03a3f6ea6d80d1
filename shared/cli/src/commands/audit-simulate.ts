/**
 * `assay audit simulate` on every core: the runs of a simulation are dealt to worker threads one at a time (a
 * run that rejects early is cheap, one that spends its budget is not, so a shared queue balances the load).
 * Every run draws from its own seeded streams (`${seed}:run:${r}`), so the result does not depend on how many
 * workers ran or which worker ran which run: it equals the single-threaded `simulateAudit` exactly.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createAuditSimulation, empiricalSampler, ScoreSampler, SimulateAuditOptions, SimulateAuditResult } from '@assay/stats';

/** A score distribution that can cross a thread boundary: a spec (`beta:2,8`) or observed scores. */
export type SamplerSource = string | { values: number[]; description: string };

export type PortableSimulateOptions = Omit<SimulateAuditOptions, 'reference' | 'candidate'> & { reference: SamplerSource; candidate: SamplerSource };

export interface WorkerRequest {
  index: number;
}

export type WorkerReply = { index: number; samplesToReject: number | null } | { error: string };

export function samplerOf(source: SamplerSource): string | ScoreSampler {
  return typeof source === 'string' ? source : empiricalSampler(source.values, source.description);
}

export function toSimulateOptions(options: PortableSimulateOptions): SimulateAuditOptions {
  return { ...options, reference: samplerOf(options.reference), candidate: samplerOf(options.candidate) };
}

export interface ParallelRunOptions {
  /** Worker threads (default: the available parallelism); 1 runs in this thread. */
  workers?: number;
  /** After every finished run: how many are done, of how many, and how many rejected so far. */
  onRun?: (done: number, total: number, rejections: number) => void;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const isTs = __filename.endsWith('.ts');
  return { file: path.join(__dirname, isTs ? 'audit-simulate-worker.ts' : 'audit-simulate-worker.js'), execArgv: isTs ? ['-r', require.resolve('@swc-node/register')] : [] };
}

export function defaultWorkers(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** Runs the simulation on `workers` threads; validates the options here first, so bad input fails fast. */
export async function runAuditSimulation(options: PortableSimulateOptions, run: ParallelRunOptions = {}): Promise<SimulateAuditResult> {
  const simulation = createAuditSimulation(toSimulateOptions(options));
  const total = simulation.runs;
  const workers = Math.min(total, Math.max(1, Math.floor(run.workers ?? defaultWorkers())));
  const outcomes: Array<number | null> = new Array(total);
  let done = 0;
  let rejections = 0;
  const record = (index: number, samplesToReject: number | null) => {
    outcomes[index] = samplesToReject;
    done++;
    if (samplesToReject !== null) rejections++;
    run.onRun?.(done, total, rejections);
  };
  if (workers === 1) {
    for (let r = 0; r < total; r++) record(r, simulation.run(r));
    return simulation.summarize(outcomes);
  }
  const { file, execArgv } = workerEntry();
  const pool = Array.from({ length: workers }, (_, i) => new Worker(file, { execArgv, workerData: options, name: `assay-audit-simulate-${i}` }));
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (worker: Worker) => {
        if (next < total) worker.postMessage({ index: next++ } satisfies WorkerRequest);
      };
      for (const worker of pool) {
        worker.on('message', (reply: WorkerReply) => {
          if ('error' in reply) return reject(new Error(`simulation worker failed: ${reply.error}`));
          record(reply.index, reply.samplesToReject);
          if (done === total) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < total) reject(new Error(`simulation worker exited with code ${code}`));
        });
        // Two runs in flight per worker, so a worker never waits for its next index.
        feed(worker);
        feed(worker);
      }
    });
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
  return simulation.summarize(outcomes);
}
