import { AuditMean, AuditStartRequest } from '@assay/contracts';
import {
  ConfidenceSequenceState,
  createSequentialTest,
  EmpiricalBernsteinConfidenceSequence,
  ScorePair,
  SequentialTest,
  SequentialTestState,
  sequentialTestFromJSON,
  StepResult,
} from '@assay/stats';

/** Welford moments of one model's scores: the sample mean, constant size at any budget. */
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
  version: 1 | 2;
  nextIndex: number;
  droppedPairs: number;
  moments: { reference: Moments; candidate: Moments };
  /** Version 2: each model's confidence sequence (a version-1 checkpoint has none, and its audit reports no interval). */
  confidence?: { reference: ConfidenceSequenceState; candidate: ConfidenceSequenceState };
  resumedAt: number[];
  testState: SequentialTestState;
}

/** Coverage of the per-model mean intervals, at every sample size at once. */
export const MEAN_INTERVAL_LEVEL = 0.95;

type ConfidenceSequences = { reference: EmpiricalBernsteinConfidenceSequence; candidate: EmpiricalBernsteinConfidenceSequence };
const newSequences = (): ConfidenceSequences => ({
  reference: new EmpiricalBernsteinConfidenceSequence({ alpha: 1 - MEAN_INTERVAL_LEVEL }),
  candidate: new EmpiricalBernsteinConfidenceSequence({ alpha: 1 - MEAN_INTERVAL_LEVEL }),
});

export type StopReason = 'rejected' | 'budget-spent' | 'prompts-spent';

const emptyMoments = (): Moments => ({ n: 0, mean: 0, m2: 0 });

function push(m: Moments, x: number): void {
  m.n++;
  const d = x - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (x - m.mean);
}

/**
 * A model's mean score with its anytime-valid interval: the predictable plug-in empirical-Bernstein confidence
 * sequence (Waudby-Smith & Ramdas 2023, shared/stats), which covers the mean at every sample size simultaneously,
 * so it may be read after every batch and after an audit stopped early (a t-interval read that way does not cover).
 * Bounds are null before the first score, or when the audit resumed from a checkpoint that kept no sequence.
 */
export function meanInterval(m: Moments, sequence: EmpiricalBernsteinConfidenceSequence | null): AuditMean {
  const none = { low: null, high: null, level: MEAN_INTERVAL_LEVEL, interval: 'none' as const };
  if (m.n === 0) return { n: 0, mean: null, ...none };
  if (sequence === null) return { n: m.n, mean: m.mean, ...none };
  const { low, high } = sequence.interval();
  return { n: m.n, mean: m.mean, low, high, level: MEAN_INTERVAL_LEVEL, interval: 'anytime-valid' };
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
    readonly confidence: ConfidenceSequences | null,
    readonly resumedAt: number[],
  ) {}

  static start(request: Pick<AuditStartRequest, 'test' | 'alpha' | 'epsilon'>): AuditLedger {
    // Seed 0 as in the reference code: the same scores give the same witness and the same decision.
    const test = createSequentialTest(request.test, { alpha: request.alpha, epsilon: request.epsilon, seed: 0 });
    return new AuditLedger(test, 0, 0, { reference: emptyMoments(), candidate: emptyMoments() }, newSequences(), []);
  }

  /** Continues from a checkpoint. */
  static resume(checkpoint: AuditCheckpoint): AuditLedger {
    const ledger = new AuditLedger(
      sequentialTestFromJSON(checkpoint.testState),
      checkpoint.nextIndex,
      checkpoint.droppedPairs,
      { reference: { ...checkpoint.moments.reference }, candidate: { ...checkpoint.moments.candidate } },
      checkpoint.confidence
        ? { reference: EmpiricalBernsteinConfidenceSequence.fromJSON(checkpoint.confidence.reference), candidate: EmpiricalBernsteinConfidenceSequence.fromJSON(checkpoint.confidence.candidate) }
        : null,
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
        this.confidence?.reference.observe(s1);
        this.confidence?.candidate.observe(s2);
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

  /** Each model's mean with its anytime-valid interval. */
  means(): { reference: AuditMean; candidate: AuditMean } {
    return { reference: meanInterval(this.moments.reference, this.confidence?.reference ?? null), candidate: meanInterval(this.moments.candidate, this.confidence?.candidate ?? null) };
  }

  checkpoint(): AuditCheckpoint {
    return {
      version: 2,
      nextIndex: this.nextIndex,
      droppedPairs: this.droppedPairs,
      moments: { reference: { ...this.moments.reference }, candidate: { ...this.moments.candidate } },
      ...(this.confidence ? { confidence: { reference: this.confidence.reference.toJSON(), candidate: this.confidence.candidate.toJSON() } } : {}),
      resumedAt: [...this.resumedAt],
      testState: this.test.toJSON(),
    };
  }
}
