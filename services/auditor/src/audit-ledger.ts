import { AuditMean, AuditStartRequest } from '@assay/contracts';
import { createSequentialTest, ScorePair, SequentialTest, SequentialTestState, sequentialTestFromJSON, StepResult, studentTQuantile } from '@assay/stats';

/** Welford moments of one model's scores: enough for a mean and its t-interval, constant size at any budget. */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/**
 * Everything an audit needs to continue after a restart. `nextIndex` counts prompts already generated and
 * scored (positions in the visit order). The witness test's state grows with every pair (it keeps them for
 * training); the job system moves a checkpoint that outgrows the KV bucket to the job's scratch blobs.
 */
export interface AuditCheckpoint {
  version: 1;
  nextIndex: number;
  droppedPairs: number;
  moments: { reference: Moments; candidate: Moments };
  resumedAt: number[];
  testState: SequentialTestState;
}

export type StopReason = 'rejected' | 'budget-spent' | 'prompts-spent';

const emptyMoments = (): Moments => ({ n: 0, mean: 0, m2: 0 });

function push(m: Moments, x: number): void {
  m.n++;
  const d = x - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (x - m.mean);
}

/** mean ± t_{0.975, n−1}·sd/√n from moments; bounds are null below two scores. */
export function meanInterval(m: Moments, level = 0.95): AuditMean {
  if (m.n === 0) return { n: 0, mean: null, low: null, high: null };
  if (m.n === 1) return { n: 1, mean: m.mean, low: null, high: null };
  const se = Math.sqrt(m.m2 / (m.n - 1) / m.n);
  const half = se === 0 ? 0 : studentTQuantile((1 + level) / 2, m.n - 1) * se;
  return { n: m.n, mean: m.mean, low: m.mean - half, high: m.mean + half };
}

/**
 * The audit's pure state machine: the sequential test plus the bookkeeping around it (prompts spent, pairs
 * dropped, per-model moments). No I/O: the job handler feeds it scored batches and checkpoints it.
 */
export class AuditLedger {
  private constructor(
    readonly test: SequentialTest,
    public nextIndex: number,
    public droppedPairs: number,
    readonly moments: { reference: Moments; candidate: Moments },
    readonly resumedAt: number[],
  ) {}

  static start(request: Pick<AuditStartRequest, 'test' | 'alpha' | 'epsilon'>): AuditLedger {
    // Seed 0 as in the reference code: the same scores give the same witness and the same decision.
    const test = createSequentialTest(request.test, { alpha: request.alpha, epsilon: request.epsilon, seed: 0 });
    return new AuditLedger(test, 0, 0, { reference: emptyMoments(), candidate: emptyMoments() }, []);
  }

  /** Continues from a checkpoint. */
  static resume(checkpoint: AuditCheckpoint): AuditLedger {
    const ledger = new AuditLedger(
      sequentialTestFromJSON(checkpoint.testState),
      checkpoint.nextIndex,
      checkpoint.droppedPairs,
      { reference: { ...checkpoint.moments.reference }, candidate: { ...checkpoint.moments.candidate } },
      [...checkpoint.resumedAt],
    );
    ledger.resumedAt.push(checkpoint.nextIndex);
    return ledger;
  }

  /** Prompts of the next batch: [from, to) in visit order, or null when the audit is over. */
  nextBatch(limit: number, batchSize: number): { from: number; to: number } | null {
    if (this.test.rejected || this.nextIndex >= limit) return null;
    return { from: this.nextIndex, to: Math.min(limit, this.nextIndex + batchSize) };
  }

  /** One betting round on the paired scores of prompts [nextIndex, nextIndex + n); NaN pairs are dropped. */
  record(reference: readonly number[], candidate: readonly number[]): StepResult {
    if (reference.length !== candidate.length) throw new RangeError(`${reference.length} reference scores but ${candidate.length} candidate scores`);
    const pairs: ScorePair[] = reference.map((s1, i) => [s1, candidate[i]] as const);
    const step = this.test.observeBatch(pairs);
    for (const [s1, s2] of pairs) {
      if (Number.isFinite(s1) && Number.isFinite(s2)) {
        push(this.moments.reference, s1);
        push(this.moments.candidate, s2);
      }
    }
    this.nextIndex += pairs.length;
    this.droppedPairs += step.droppedPairs;
    return step;
  }

  stopReason(limit: number, budget: number): StopReason | null {
    if (this.test.rejected) return 'rejected';
    if (this.nextIndex >= budget) return 'budget-spent';
    if (this.nextIndex >= limit) return 'prompts-spent';
    return null;
  }

  /** Pairs used when the decision was made: at the rejecting batch, or all of them once the audit ended. */
  samplesToDecision(finished: boolean): number | null {
    if (this.test.rejected) return this.test.samplesToReject;
    return finished ? this.test.samplesUsed : null;
  }

  checkpoint(): AuditCheckpoint {
    return {
      version: 1,
      nextIndex: this.nextIndex,
      droppedPairs: this.droppedPairs,
      moments: { reference: { ...this.moments.reference }, candidate: { ...this.moments.candidate } },
      resumedAt: [...this.resumedAt],
      testState: this.test.toJSON(),
    };
  }
}
