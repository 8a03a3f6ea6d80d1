/**
 * Monte Carlo audits: the rejection rate (false-positive rate under a null, power under a shift) and the
 * samples needed to reject, for any of the sequential tests. Pure and seeded: run r draws its pairs from
 * Rng(`${seed}:run:${r}`) and its test is seeded with `${seed}:test:${r}`, so results are reproducible and a
 * run's outcome does not depend on which other runs were simulated.
 */
import { median, mean } from '../descriptive';
import { Rng } from '../rng';
import { createSequentialTest, SequentialTestOptions } from './create-test';
import { NaiveRepeatedTTest, TTestVariant } from './naive-t-test';
import { samplerFromSpec, ScoreSampler } from './score-distributions';
import { ScorePair, SequentialTestKind } from './sequential-test';

export type SimulatedTestKind = SequentialTestKind | 'naive-t';

export interface SimulateAuditOptions {
  /** Scores of the reference model M1 (s1): a spec such as 'beta:2,8', or a sampler. */
  reference: string | ScoreSampler;
  /** Scores of the candidate M2 (s2). */
  candidate: string | ScoreSampler;
  /** Tolerance of the null (each test's own scale; ignored by the naive t-test, which tests equal means). */
  epsilon?: number;
  alpha?: number;
  runs: number;
  batchSize: number;
  /** Maximum pairs per run; the last batch is shortened to fit. */
  budget: number;
  test: SimulatedTestKind;
  /** Extra options for the test (witness: hiddenSize, maxEpochs, ...; naive-t: variant). */
  testOptions?: Omit<SequentialTestOptions, 'alpha' | 'epsilon' | 'seed'> & { variant?: TTestVariant };
  seed?: number | string;
}

export interface SimulateAuditResult {
  test: SimulatedTestKind;
  runs: number;
  rejections: number;
  rejection_rate: number;
  /** Binomial standard error of rejection_rate. */
  rejection_rate_se: number;
  /** Median pairs used by the runs that rejected; null when none did. */
  median_samples_to_reject: number | null;
  mean_samples_to_reject: number | null;
  /** Pairs used by each rejecting run, in run order. */
  samples_to_reject: number[];
  alpha: number;
  epsilon: number;
  batch_size: number;
  budget: number;
  reference: string;
  candidate: string;
}

interface Procedure {
  observeBatch(pairs: ReadonlyArray<ScorePair>): unknown;
  readonly rejected: boolean;
  readonly samplesToReject: number | null;
}

/** One simulation, run by run: `run(r)` is independent of every other run, so runs may be split across workers. */
export interface AuditSimulation {
  readonly runs: number;
  /** Pairs used by run r when it rejected, null when it never did. Deterministic in (options, seed, r). */
  run(index: number): number | null;
  /** The result, from every run's outcome in run order (the same whichever worker ran which run). */
  summarize(outcomes: ReadonlyArray<number | null>): SimulateAuditResult;
}

export function createAuditSimulation(options: SimulateAuditOptions): AuditSimulation {
  const { runs, batchSize, budget, test, seed = 0, testOptions = {} } = options;
  const alpha = options.alpha ?? 0.05;
  const epsilon = options.epsilon ?? 0;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be an integer >= 1, got ${runs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`budget must be an integer >= 1, got ${budget}`);
  const reference = samplerFromSpec(options.reference);
  const candidate = samplerFromSpec(options.candidate);
  return {
    runs,
    run(r: number): number | null {
      if (!Number.isInteger(r) || r < 0 || r >= runs) throw new RangeError(`run index must be an integer in [0, ${runs}), got ${r}`);
      const rng = new Rng(`${seed}:run:${r}`);
      const procedure = makeProcedure(test, alpha, epsilon, testOptions, `${seed}:test:${r}`);
      for (let used = 0; used < budget && !procedure.rejected; ) {
        const n = Math.min(batchSize, budget - used);
        const batch: ScorePair[] = new Array(n);
        for (let i = 0; i < n; i++) batch[i] = [reference.sample(rng), candidate.sample(rng)];
        procedure.observeBatch(batch);
        used += n;
      }
      return procedure.rejected ? procedure.samplesToReject : null;
    },
    summarize(outcomes: ReadonlyArray<number | null>): SimulateAuditResult {
      if (outcomes.length !== runs) throw new RangeError(`${outcomes.length} outcomes for ${runs} runs`);
      const samplesToReject = outcomes.filter((o): o is number => o !== null);
      const rate = samplesToReject.length / runs;
      return {
        test,
        runs,
        rejections: samplesToReject.length,
        rejection_rate: rate,
        rejection_rate_se: Math.sqrt((rate * (1 - rate)) / runs),
        median_samples_to_reject: samplesToReject.length ? median(samplesToReject) : null,
        mean_samples_to_reject: samplesToReject.length ? mean(samplesToReject) : null,
        samples_to_reject: samplesToReject,
        alpha,
        epsilon,
        batch_size: batchSize,
        budget,
        reference: reference.description,
        candidate: candidate.description,
      };
    },
  };
}

/** Runs every run in this thread; `onRun(done, total)` after each. */
export function simulateAudit(options: SimulateAuditOptions, onRun?: (done: number, total: number) => void): SimulateAuditResult {
  const simulation = createAuditSimulation(options);
  const outcomes: Array<number | null> = [];
  for (let r = 0; r < simulation.runs; r++) {
    outcomes.push(simulation.run(r));
    onRun?.(r + 1, simulation.runs);
  }
  return simulation.summarize(outcomes);
}

function makeProcedure(test: SimulatedTestKind, alpha: number, epsilon: number, testOptions: SimulateAuditOptions['testOptions'] & object, seed: string): Procedure {
  const { variant, ...sequentialOptions } = testOptions;
  if (test === 'naive-t') return new NaiveRepeatedTTest({ alpha, variant });
  return createSequentialTest(test, { ...sequentialOptions, alpha, epsilon, seed });
}
