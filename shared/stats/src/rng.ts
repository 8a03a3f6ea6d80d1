/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna), seeded through splitmix32 (numbers) or
 * cyrb128 (strings). 32-bit integer arithmetic only, so one draw costs a handful of instructions.
 *
 * The whole state (four 32-bit words plus the cached spare normal) is exposed by `getState()` and accepted by
 * `Rng.fromState()`, so a checkpointed computation resumes on exactly the same stream.
 */

export interface RngState {
  /** The four xoshiro128 state words, as unsigned 32-bit integers. */
  s: [number, number, number, number];
  /** The second normal variate of the last polar-method pair, not yet handed out. */
  spareNormal: number | null;
}

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** cyrb128: a fast, well-mixing 128-bit string hash (public domain, bryc). */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function seedWords(seed: number | string): [number, number, number, number] {
  if (typeof seed === 'string') return cyrb128(seed);
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be finite, got ${seed}`);
  if (!Number.isInteger(seed)) return cyrb128(`float:${seed}`);
  // Integer seeds beyond 32 bits keep their high part: mix it into the splitmix stream.
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) | 0;
  const mix = splitmix32(low ^ Math.imul(high, 0x85ebca6b));
  return [mix(), mix(), mix(), mix()];
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number | string = 0) {
    const words = seedWords(seed);
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 0x9e3779b9; // the all-zero state is a fixed point
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0);
  }

  static fromState(state: RngState): Rng {
    const { s, spareNormal } = state;
    if (!Array.isArray(s) || s.length !== 4 || s.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new RangeError('rng state must hold four unsigned 32-bit words');
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new RangeError('rng state must not be all zero');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = s.map((w) => w | 0);
    rng.spare = spareNormal ?? null;
    return rng;
  }

  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spare };
  }

  clone(): Rng {
    return Rng.fromState(this.getState());
  }

  /** Next raw output, an unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits (resolution 2^-32, enough for sampling from any real vocabulary). */
  next(): number {
    return this.nextUint32() * INV_TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 random bits (two raw draws). */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [min, max). */
  uniform(min = 0, max = 1): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`int(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    if (n === TWO_POW_32) return this.nextUint32();
    // Accept x when x mod n lies below the largest multiple of n that fits in 2^32.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [min, max], both ends included. */
  intRange(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`intRange needs integers min <= max, got ${min}, ${max}`);
    return min + this.int(max - min + 1);
  }

  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli needs 0 <= p <= 1, got ${p}`);
    return this.next() < p;
  }

  /** Standard normal (Marsaglia polar method; the second variate of each pair is cached in the state). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.nextDouble() - 1;
      v = 2 * this.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    return mean + sd * u * factor;
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 uses the boost Gamma(shape+1)·U^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma needs a finite shape > 0, got ${shape}`);
    if (shape < 1) {
      const u = 1 - this.nextDouble(); // (0, 1]
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextDouble();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (u > 0 && Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Index drawn with probability proportional to the non-negative `weights` (linear scan). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || w === Infinity) throw new RangeError(`categorical weights must be finite and >= 0 (index ${i}: ${w})`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('categorical weights must not all be zero');
    let target = this.nextDouble() * total;
    let last = -1;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) continue;
      last = i;
      target -= weights[i];
      if (target < 0) return i;
    }
    return last; // rounding left a sliver past the end: the last positive weight takes it
  }

  /** Fisher–Yates shuffle, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seeded generator; strings and numbers both work (`createRng('audit:7')`). */
export function createRng(seed: number | string = 0): Rng {
  return new Rng(seed);
}
