import type { JobContext } from './types';

interface StagesState {
  /** Batches done per stage. */
  stages: Record<string, number>;
  /** Values fixed on the first attempt (e.g. resolved model versions), so a retry works with the same inputs. */
  fixed: Record<string, unknown>;
}

type StagedJob = Pick<JobContext<unknown>, 'checkpoint' | 'loadCheckpoint' | 'progress' | 'signal' | 'scratch'>;

/**
 * A job's work as stages of batches, durably: each batch's output is a scratch blob (`jobs/<jobId>/<stage>/<i>.json`)
 * and the job's checkpoint counts the batches done, so a worker that stops mid-job loses at most one batch. Owns the
 * job's checkpoint. For batch-scoring jobs (certifier evaluations and benchmarks, calibration, reward scoring).
 */
export class JobStages {
  private done = 0;
  private total = 1;

  private constructor(
    private readonly job: StagedJob,
    private state: StagesState,
  ) {}

  static async open(job: StagedJob): Promise<JobStages> {
    const saved = await job.loadCheckpoint<StagesState>();
    return new JobStages(job, saved ?? { stages: {}, fixed: {} });
  }

  /** A value computed on the first attempt and reused by every retry. */
  async fixed<T>(name: string, compute: () => Promise<T>): Promise<T> {
    if (!(name in this.state.fixed)) {
      this.state = { ...this.state, fixed: { ...this.state.fixed, [name]: await compute() } };
      await this.job.checkpoint(this.state);
    }
    return this.state.fixed[name] as T;
  }

  /** Total batches over every stage of this job, for the progress fraction. */
  plan(totalBatches: number): void {
    this.total = Math.max(1, totalBatches);
  }

  async run<I, O>(stage: string, batches: readonly I[][], work: (batch: I[], index: number) => Promise<O[]>): Promise<O[]> {
    const outputs: O[] = [];
    const already = Math.min(this.state.stages[stage] ?? 0, batches.length);
    for (let i = 0; i < already; i++) outputs.push(...(await this.job.scratch.getJson<O[]>(`${stage}/${i}.json`)));
    this.done += already;
    for (let i = already; i < batches.length; i++) {
      if (this.job.signal.aborted) throw this.job.signal.reason;
      const out = await work(batches[i], i);
      await this.job.scratch.putJson(`${stage}/${i}.json`, out);
      this.state = { ...this.state, stages: { ...this.state.stages, [stage]: i + 1 } };
      await this.job.checkpoint(this.state);
      outputs.push(...out);
      this.done++;
      void this.job.progress(Math.min(1, this.done / this.total), `${stage}: batch ${i + 1}/${batches.length}`, { batches: this.done, totalBatches: this.total });
    }
    return outputs;
  }
}
