/**
 * The naive baseline of spec auditing.md §5: a fixed-sample two-sample t-test re-run on the cumulative data
 * after every batch, "rejecting" when p < α at any look. Each single look is a valid level-α test, but peeking
 * repeatedly inflates the false-positive rate well above α; this class exists to show exactly that next to the
 * anytime-valid tests. Like scipy's `ttest_ind`, it ignores the pairing; 'pooled' (Student, scipy's default)
 * or 'welch' variance.
 */
import { studentTTwoSidedP } from '../special-functions';
import { cleanPairs, ScorePair, validateAlpha } from './sequential-test';

export type TTestVariant = 'pooled' | 'welch';

export interface TTestResult {
  t: number;
  df: number;
  pValue: number;
  meanA: number;
  meanB: number;
}

/** Running count, mean and sum of squared deviations (Welford). */
export class RunningMoments {
  n = 0;
  mean = 0;
  m2 = 0;

  push(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  /** Unbiased sample variance (NaN below two values). */
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : NaN;
  }
}

export function tTestFromMoments(a: RunningMoments, b: RunningMoments, variant: TTestVariant = 'pooled'): TTestResult {
  if (a.n < 2 || b.n < 2) throw new RangeError('a two-sample t-test needs at least two values per sample');
  const diff = a.mean - b.mean;
  let se2: number;
  let df: number;
  if (variant === 'pooled') {
    df = a.n + b.n - 2;
    const pooled = (a.m2 + b.m2) / df;
    se2 = pooled * (1 / a.n + 1 / b.n);
  } else {
    const va = a.variance / a.n;
    const vb = b.variance / b.n;
    se2 = va + vb;
    df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  }
  if (!(se2 > 0)) {
    // Both samples constant: identical means give no evidence, different ones are infinitely significant.
    return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: Number.isFinite(df) ? df : a.n + b.n - 2, pValue: diff === 0 ? 1 : 0, meanA: a.mean, meanB: b.mean };
  }
  const t = diff / Math.sqrt(se2);
  return { t, df, pValue: studentTTwoSidedP(t, df), meanA: a.mean, meanB: b.mean };
}

export function twoSampleTTest(a: ArrayLike<number>, b: ArrayLike<number>, variant: TTestVariant = 'pooled'): TTestResult {
  const ma = new RunningMoments();
  const mb = new RunningMoments();
  for (let i = 0; i < a.length; i++) ma.push(a[i]);
  for (let i = 0; i < b.length; i++) mb.push(b[i]);
  return tTestFromMoments(ma, mb, variant);
}

export interface NaiveLook {
  batchIndex: number;
  samplesUsed: number;
  /** null while either sample has fewer than two values. */
  pValue: number | null;
  t: number | null;
  rejected: boolean;
  rejectedNow: boolean;
}

export interface NaiveRepeatedTTestOptions {
  alpha?: number;
  variant?: TTestVariant;
}

export class NaiveRepeatedTTest {
  readonly kind = 'naive-t' as const;
  readonly alpha: number;
  readonly variant: TTestVariant;
  private readonly a = new RunningMoments();
  private readonly b = new RunningMoments();
  private batches = 0;
  rejected = false;
  samplesToReject: number | null = null;
  readonly looks: NaiveLook[] = [];

  constructor(options: NaiveRepeatedTTestOptions = {}) {
    this.alpha = options.alpha ?? 0.05;
    this.variant = options.variant ?? 'pooled';
    validateAlpha(this.alpha);
  }

  get samplesUsed(): number {
    return this.a.n;
  }

  observeBatch(pairs: ReadonlyArray<ScorePair>): NaiveLook {
    const { flat } = cleanPairs(pairs);
    if (this.rejected || flat.length === 0) {
      const last = this.looks[this.looks.length - 1];
      return last ? { ...last, rejectedNow: false } : this.emptyLook();
    }
    for (let i = 0; i < flat.length; i += 2) {
      this.a.push(flat[i]);
      this.b.push(flat[i + 1]);
    }
    const result = this.a.n >= 2 ? tTestFromMoments(this.a, this.b, this.variant) : null;
    const rejectedNow = result !== null && result.pValue < this.alpha;
    if (rejectedNow) {
      this.rejected = true;
      this.samplesToReject = this.a.n;
    }
    const look: NaiveLook = { batchIndex: this.batches++, samplesUsed: this.a.n, pValue: result?.pValue ?? null, t: result?.t ?? null, rejected: this.rejected, rejectedNow };
    this.looks.push(look);
    return look;
  }

  private emptyLook(): NaiveLook {
    return { batchIndex: -1, samplesUsed: 0, pValue: null, t: null, rejected: false, rejectedNow: false };
  }
}

/** Runs the naive repeated test over a sequence of batches; `firstRejection` is the 0-based look index or null. */
export function naiveRepeatedTTest(batches: ReadonlyArray<ReadonlyArray<ScorePair>>, options: NaiveRepeatedTTestOptions = {}) {
  const test = new NaiveRepeatedTTest(options);
  for (const batch of batches) test.observeBatch(batch);
  const first = test.looks.find((l) => l.rejectedNow);
  return { rejected: test.rejected, firstRejection: first ? first.batchIndex : null, samplesToReject: test.samplesToReject, looks: test.looks };
}
