/**
 * Anytime-valid confidence sequences for the mean of a bounded score stream: the predictable plug-in
 * empirical-Bernstein (PrPl-EB) confidence sequence of Waudby-Smith & Ramdas, "Estimating means of bounded random
 * variables by betting" (JRSS-B 2023, Theorem 2; also the `confseq` package's predmix_empbern_twosided_cs).
 *
 * For X_1, X_2, … in [0, 1] with conditional mean μ (i.i.d. is enough), with probability ≥ 1 − α the interval
 * C_t contains μ **at every t simultaneously**, so the audit report may show it after every batch, and a reader
 * may stop whenever they like, without inflating the miss rate (a fixed-n t-interval, watched as data arrive,
 * misses far more often than α). Definitions, t = 1, 2, …:
 *   μ̂_t  = (½ + Σ_{i≤t} X_i)/(t + 1),      σ̂²_t = (¼ + Σ_{i≤t} (X_i − μ̂_i)²)/(t + 1)   (μ̂_0 = ½, σ̂²_0 = ¼),
 *   λ_t  = min( √(2·log(2/α) / (σ̂²_{t−1}·t·log(1 + t))), c ),   c = ½ (the truncation the paper suggests),
 *   v_t  = 4·(X_t − μ̂_{t−1})²,     ψ_E(λ) = (−log(1 − λ) − λ)/4,
 *   C_t  = Σλ_iX_i/Σλ_i  ±  (log(2/α) + Σ v_i·ψ_E(λ_i)) / Σλ_i,
 * intersected with [0, 1] and, by default, with every earlier C_s (the running intersection is again a
 * (1 − α) confidence sequence and never widens). λ_t and v_t use only X_1..X_{t−1} in their plug-ins (they are
 * predictable), which is what makes the bound hold uniformly over time. Scores on another bounded range [lo, hi]
 * are rescaled to [0, 1] first and the interval mapped back.
 */

export interface ConfidenceSequenceOptions {
  alpha?: number;
  /** Largest bet λ (the paper's c; default ½). */
  truncation?: number;
  /** Intersect with all earlier intervals (default true). */
  runningIntersection?: boolean;
  /** The range every score lies in (default [0, 1]). */
  range?: [number, number];
}

export interface ConfidenceSequenceInterval {
  n: number;
  /** Sample mean of the scores (NaN before the first). */
  mean: number;
  /** The λ-weighted mean the interval is centred on. */
  center: number;
  /** Half-width before clipping to the range and intersecting. */
  margin: number;
  low: number;
  high: number;
  /** Coverage level 1 − α, uniformly over time. */
  level: number;
  method: 'predictable-plug-in empirical-Bernstein confidence sequence (Waudby-Smith & Ramdas 2023)';
}

export interface ConfidenceSequenceState {
  kind: 'eb-cs';
  version: 1;
  options: Required<ConfidenceSequenceOptions>;
  t: number;
  sumX: number;
  sumSquares: number;
  sumLambda: number;
  sumLambdaX: number;
  sumVPsi: number;
  low: number;
  high: number;
}

const METHOD = 'predictable-plug-in empirical-Bernstein confidence sequence (Waudby-Smith & Ramdas 2023)' as const;

export class EmpiricalBernsteinConfidenceSequence {
  private readonly options: Required<ConfidenceSequenceOptions>;
  private readonly logTwoOverAlpha: number;
  private t = 0;
  private sumX = 0;
  /** Σ (X_i − μ̂_i)², the variance plug-in's numerator without its prior. */
  private sumSquares = 0;
  private sumLambda = 0;
  private sumLambdaX = 0;
  private sumVPsi = 0;
  private low = 0;
  private high = 1;

  constructor(options: ConfidenceSequenceOptions = {}) {
    const { alpha = 0.05, truncation = 0.5, runningIntersection = true, range = [0, 1] } = options;
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must lie in (0, 1), got ${alpha}`);
    if (!(truncation > 0 && truncation < 1)) throw new RangeError(`truncation must lie in (0, 1), got ${truncation}`);
    if (!(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0])) throw new RangeError(`range must be finite with lo < hi, got [${range}]`);
    this.options = { alpha, truncation, runningIntersection, range: [range[0], range[1]] };
    this.logTwoOverAlpha = Math.log(2 / alpha);
  }

  /** Adds one score (must lie in the range). */
  observe(score: number): void {
    const [lo, hi] = this.options.range;
    if (!(score >= lo && score <= hi)) throw new RangeError(`score ${score} is outside [${lo}, ${hi}]`);
    const x = (score - lo) / (hi - lo);
    const t = this.t + 1;
    const muPrev = (0.5 + this.sumX) / t; // μ̂_{t−1}
    const varPrev = (0.25 + this.sumSquares) / t; // σ̂²_{t−1}
    const lambda = Math.min(Math.sqrt((2 * this.logTwoOverAlpha) / (varPrev * t * Math.log(1 + t))), this.options.truncation);
    const v = 4 * (x - muPrev) * (x - muPrev);
    this.sumLambda += lambda;
    this.sumLambdaX += lambda * x;
    this.sumVPsi += (v * (-Math.log1p(-lambda) - lambda)) / 4;
    this.sumX += x;
    this.t = t;
    const mu = (0.5 + this.sumX) / (t + 1); // μ̂_t
    this.sumSquares += (x - mu) * (x - mu);
    const center = this.sumLambdaX / this.sumLambda;
    const margin = (this.logTwoOverAlpha + this.sumVPsi) / this.sumLambda;
    const low = Math.max(0, center - margin);
    const high = Math.min(1, center + margin);
    if (this.options.runningIntersection) {
      this.low = Math.max(this.low, low);
      this.high = Math.min(this.high, high);
      // Intersections of valid sets can in principle come out empty (a miss); keep a point rather than low > high.
      if (this.low > this.high) this.low = this.high = (this.low + this.high) / 2;
    } else {
      this.low = low;
      this.high = high;
    }
  }

  observeMany(scores: ArrayLike<number>): this {
    for (let i = 0; i < scores.length; i++) this.observe(scores[i]);
    return this;
  }

  interval(): ConfidenceSequenceInterval {
    const [lo, hi] = this.options.range;
    const w = hi - lo;
    const t = this.t;
    const center = t ? this.sumLambdaX / this.sumLambda : NaN;
    const margin = t ? (this.logTwoOverAlpha + this.sumVPsi) / this.sumLambda : Infinity;
    return {
      n: t,
      mean: t ? lo + w * (this.sumX / t) : NaN,
      center: t ? lo + w * center : NaN,
      margin: w * margin,
      low: lo + w * this.low,
      high: lo + w * this.high,
      level: 1 - this.options.alpha,
      method: METHOD,
    };
  }

  toJSON(): ConfidenceSequenceState {
    const { t, sumX, sumSquares, sumLambda, sumLambdaX, sumVPsi, low, high } = this;
    return { kind: 'eb-cs', version: 1, options: { ...this.options, range: [...this.options.range] }, t, sumX, sumSquares, sumLambda, sumLambdaX, sumVPsi, low, high };
  }

  static fromJSON(state: ConfidenceSequenceState): EmpiricalBernsteinConfidenceSequence {
    if (state.kind !== 'eb-cs' || state.version !== 1) throw new RangeError(`not a confidence-sequence state (kind ${state.kind}, version ${state.version})`);
    const cs = new EmpiricalBernsteinConfidenceSequence(state.options);
    const { t, sumX, sumSquares, sumLambda, sumLambdaX, sumVPsi, low, high } = state;
    Object.assign(cs, { t, sumX, sumSquares, sumLambda, sumLambdaX, sumVPsi, low, high });
    return cs;
  }
}

/** The confidence sequence's interval after all of `scores` (in order): the anytime-valid counterpart of meanConfidenceInterval. */
export function meanConfidenceSequence(scores: ArrayLike<number>, options: ConfidenceSequenceOptions = {}): ConfidenceSequenceInterval {
  return new EmpiricalBernsteinConfidenceSequence(options).observeMany(scores).interval();
}
