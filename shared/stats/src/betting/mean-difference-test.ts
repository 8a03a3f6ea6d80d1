/**
 * Mean-difference betting: the no-training baseline of spec auditing.md §5.
 *
 * One-sided bettor on x_t = σ·(s1_t − s2_t) − ε (σ = +1 bets that the reference scores higher, −1 lower):
 *   K_t = Π_{u ≤ t} (1 + λ_u x_u),  λ_u ∈ [0, λ_max] chosen from pairs before u by online Newton step (ONS,
 *   Cutkosky & Orabona 2018, as used by Shekhar & Ramdas 2023): z = x/(1 + λx), A ← A + z²,
 *   λ ← clip(λ + (2/(2 − ln 3))·z/A, 0, λ_max).
 * With scores in [lo, hi] (default [0, 1]) and R = hi − lo, |x| ≤ R + ε, and λ_max = 1/(2(R + ε)) keeps every
 * factor ≥ ½. Under H0: σ·E[s1 − s2] ≤ ε, E[1 + λx | past] = 1 + λ·E[x] ≤ 1 since λ ≥ 0 is predictable, so
 * K is a non-negative supermartingale. This null is about **means only**: equal means with different shapes
 * are invisible to it (the learned witness sees them).
 *
 * Two-sided (default): K = ½(K⁺ + K⁻) with one bettor for each sign. Under H0: |E[s1 − s2]| ≤ ε both are
 * supermartingales starting at 1, so their average is one too (a mixture of e-processes with fixed weights),
 * and Ville's inequality applies to it; the price of not knowing the direction is at most log 2 in log-wealth.
 * The wealth is updated pair by pair; the threshold is checked after every pair (valid by Ville, which bounds
 * the supremum over all times) but rejection is reported at batch granularity, like the witness test.
 */
import { logSumExp } from '../descriptive';
import { cleanPairs, ScorePair, SequentialTest, StepResult, validateAlpha, validateEpsilon, WealthLedger } from './sequential-test';

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MeanDifferenceOptions {
  alpha?: number;
  /** Tolerance on the mean scale: H0 is |E[s1] − E[s2]| ≤ ε (or the one-sided version). */
  epsilon?: number;
  /** 'greater': reference mean higher; 'less': reference mean lower. */
  alternative?: Alternative;
  /** Range every score must lie in; the bet sizes are derived from it. */
  scoreRange?: [number, number];
}

interface Bettor {
  sign: 1 | -1;
  lambda: number;
  /** ONS curvature accumulator, starts at 1. */
  a: number;
  logWealth: number;
}

export interface MeanDifferenceState {
  kind: 'mean-difference';
  version: 1;
  options: Required<MeanDifferenceOptions>;
  bettors: Bettor[];
  ledger: ReturnType<WealthLedger['toJSON']>;
}

const ONS_STEP = 2 / (2 - Math.log(3));

export class MeanDifferenceBettingTest implements SequentialTest {
  readonly kind = 'mean-difference' as const;
  private readonly options: Required<MeanDifferenceOptions>;
  private readonly lambdaMax: number;
  private bettors: Bettor[];
  private ledger: WealthLedger;

  constructor(options: MeanDifferenceOptions = {}) {
    const { alpha = 0.05, epsilon = 0, alternative = 'two-sided', scoreRange = [0, 1] } = options;
    this.options = { alpha, epsilon, alternative, scoreRange: [scoreRange[0], scoreRange[1]] };
    validateAlpha(alpha);
    validateEpsilon(epsilon);
    const [lo, hi] = scoreRange;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new RangeError(`scoreRange must be finite with hi > lo, got [${lo}, ${hi}]`);
    this.lambdaMax = 1 / (2 * (hi - lo + epsilon));
    const signs: Array<1 | -1> = alternative === 'two-sided' ? [1, -1] : alternative === 'greater' ? [1] : [-1];
    this.bettors = signs.map((sign) => ({ sign, lambda: 0, a: 1, logWealth: 0 }));
    this.ledger = new WealthLedger(Math.log(1 / alpha));
  }

  get logWealth(): number {
    return this.ledger.logWealth;
  }
  get logThreshold(): number {
    return this.ledger.logThreshold;
  }
  get rejected(): boolean {
    return this.ledger.rejected;
  }
  get samplesUsed(): number {
    return this.ledger.samplesUsed;
  }
  get samplesToReject(): number | null {
    return this.ledger.samplesToReject;
  }
  get history() {
    return this.ledger.history;
  }

  private combinedLogWealth(): number {
    const logs = this.bettors.map((b) => b.logWealth);
    return logs.length === 1 ? logs[0] : logSumExp(logs) - Math.log(logs.length);
  }

  observeBatch(pairs: ReadonlyArray<ScorePair>): StepResult {
    const { flat, dropped } = cleanPairs(pairs);
    if (this.ledger.rejected || flat.length === 0) return this.ledger.ignoredStep(dropped);
    const [lo, hi] = this.options.scoreRange;
    for (const v of flat) if (v < lo || v > hi) throw new RangeError(`score ${v} lies outside scoreRange [${lo}, ${hi}]`);
    const before = this.ledger.logWealth;
    const eps = this.options.epsilon;
    let crossed = false;
    for (let i = 0; i < flat.length; i += 2) {
      const diff = flat[i] - flat[i + 1];
      for (const b of this.bettors) {
        const x = b.sign * diff - eps;
        const factor = 1 + b.lambda * x;
        b.logWealth += Math.log(factor);
        const z = x / factor;
        b.a += z * z;
        b.lambda = Math.min(this.lambdaMax, Math.max(0, b.lambda + (ONS_STEP * z) / b.a));
      }
      if (this.combinedLogWealth() >= this.ledger.logThreshold) {
        crossed = true;
        break; // rejected for good: the rest of the batch changes nothing
      }
    }
    this.ledger.logWealth = this.combinedLogWealth();
    return this.ledger.record(flat.length / 2, dropped, this.ledger.logWealth - before, crossed);
  }

  toJSON(): MeanDifferenceState {
    return {
      kind: 'mean-difference',
      version: 1,
      options: { ...this.options, scoreRange: [...this.options.scoreRange] as [number, number] },
      bettors: this.bettors.map((b) => ({ ...b })),
      ledger: this.ledger.toJSON(),
    };
  }

  static fromJSON(state: MeanDifferenceState): MeanDifferenceBettingTest {
    if (state.kind !== 'mean-difference' || state.version !== 1) throw new RangeError(`not a mean-difference test state (kind ${state.kind})`);
    const test = new MeanDifferenceBettingTest(state.options);
    test.bettors = state.bettors.map((b) => ({ ...b }));
    test.ledger = WealthLedger.fromJSON(test.ledger.logThreshold, state.ledger);
    return test;
  }
}
