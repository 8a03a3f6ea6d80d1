/**
 * The common shape of the anytime-valid audit tests (spec shared/specs/auditing.md §2, §5).
 *
 * A test consumes batches of paired scores (s1 from the reference model, s2 from the candidate, on the same
 * prompt) and keeps a log-wealth log K. Under the null, K is a non-negative supermartingale with K_0 = 1, so by
 * Ville's inequality P(sup_t K_t ≥ 1/α) ≤ α: the test may be stopped, continued or peeked at any time.
 * Rejection rule in this library: log K ≥ log(1/α), i.e. **K ≥ 1/α** (the wording; the reference code
 * uses a strict ">", which Ville's inequality does not need). Once rejected, a test stays rejected and ignores
 * further batches.
 */
import type { LearnedWitnessState } from './learned-witness-test';
import type { MeanDifferenceState } from './mean-difference-test';

export type ScorePair = readonly [number, number];

export interface StepResult {
  /** 0-based index of this batch among the batches that were used. */
  batchIndex: number;
  /** Pairs of this batch that entered the test (non-finite pairs are dropped pairwise, spec §2). */
  pairsUsed: number;
  droppedPairs: number;
  /** log of this batch's e-value (0 when the batch was ignored). */
  logEValue: number;
  logWealth: number;
  /** log(1/α). */
  logThreshold: number;
  rejected: boolean;
  /** True only for the batch that crossed the threshold. */
  rejectedNow: boolean;
  /** Pairs consumed so far (through the rejecting batch once rejected). */
  samplesUsed: number;
  /** The batch arrived after rejection and was not used. */
  ignored: boolean;
}

export interface WealthPoint {
  samples: number;
  logWealth: number;
}

export type SequentialTestKind = 'witness' | 'mean-difference';
export type SequentialTestState = LearnedWitnessState | MeanDifferenceState;

export interface SequentialTest {
  readonly kind: SequentialTestKind;
  observeBatch(pairs: ReadonlyArray<ScorePair>): StepResult;
  readonly logWealth: number;
  readonly logThreshold: number;
  readonly rejected: boolean;
  readonly samplesUsed: number;
  /** samplesUsed at the rejecting batch, or null while not rejected. */
  readonly samplesToReject: number | null;
  /** log-wealth after every used batch, starting from {samples: 0, logWealth: 0}. */
  readonly history: readonly WealthPoint[];
  /** Full state: `sequentialTestFromJSON(JSON.parse(JSON.stringify(test)))` continues exactly where it stopped. */
  toJSON(): SequentialTestState;
}

/** Drops pairs with a non-finite member; returns the rest as a flat [s1, s2, s1, s2, ...] array. */
export function cleanPairs(pairs: ReadonlyArray<ScorePair>): { flat: number[]; dropped: number } {
  const flat: number[] = [];
  let dropped = 0;
  for (const pair of pairs) {
    const [a, b] = pair;
    if (Number.isFinite(a) && Number.isFinite(b)) flat.push(a, b);
    else dropped++;
  }
  return { flat, dropped };
}

/** Drops keys whose value is undefined, so spreading options over defaults keeps the defaults. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function validateAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must lie in (0, 1), got ${alpha}`);
}

export function validateEpsilon(epsilon: number): void {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new RangeError(`epsilon must be finite and >= 0, got ${epsilon}`);
}

/** Bookkeeping shared by the tests: wealth, threshold, rejection, history. */
export class WealthLedger {
  logWealth = 0;
  rejected = false;
  samplesUsed = 0;
  samplesToReject: number | null = null;
  batches = 0;
  history: WealthPoint[] = [{ samples: 0, logWealth: 0 }];

  constructor(readonly logThreshold: number) {}

  ignoredStep(dropped: number, pairsUsed = 0): StepResult {
    return {
      batchIndex: this.batches - 1, pairsUsed, droppedPairs: dropped, logEValue: 0, logWealth: this.logWealth,
      logThreshold: this.logThreshold, rejected: this.rejected, rejectedNow: false, samplesUsed: this.samplesUsed, ignored: true,
    };
  }

  /** Records a used batch whose log e-value has already been added to `logWealth` (and `rejected` set if crossed). */
  record(pairsUsed: number, dropped: number, logEValue: number, crossed: boolean): StepResult {
    this.samplesUsed += pairsUsed;
    const batchIndex = this.batches++;
    const rejectedNow = crossed && !this.rejected;
    if (rejectedNow) {
      this.rejected = true;
      this.samplesToReject = this.samplesUsed;
    }
    this.history.push({ samples: this.samplesUsed, logWealth: this.logWealth });
    return {
      batchIndex, pairsUsed, droppedPairs: dropped, logEValue, logWealth: this.logWealth, logThreshold: this.logThreshold,
      rejected: this.rejected, rejectedNow, samplesUsed: this.samplesUsed, ignored: false,
    };
  }

  toJSON() {
    const { logWealth, rejected, samplesUsed, samplesToReject, batches, history } = this;
    return { logWealth, rejected, samplesUsed, samplesToReject, batches, history: history.map((h) => ({ ...h })) };
  }

  static fromJSON(logThreshold: number, state: ReturnType<WealthLedger['toJSON']>): WealthLedger {
    const ledger = new WealthLedger(logThreshold);
    Object.assign(ledger, { ...state, history: state.history.map((h) => ({ ...h })) });
    return ledger;
  }
}
