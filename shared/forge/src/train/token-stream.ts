import { SeededRng, shuffledIndices } from './rng';

export interface SpecialTokens {
  bosId: number;
  eosId: number;
}

/** Token ids of one example, without BOS/EOS (the stream adds them). */
export type TokenizedExample = ArrayLike<number>;

/** Tokenize texts with any tokenizer's `encode`; tokenization itself stays the caller's concern. */
export function tokenizeExamples(texts: readonly string[], encode: (text: string) => ArrayLike<number>): number[][] {
  return texts.map((text) => Array.from(encode(text)));
}

/** Concatenates examples as BOS + tokens + EOS, one after another. */
export function buildTokenStream(examples: readonly TokenizedExample[], special: SpecialTokens): Int32Array {
  let total = 0;
  for (const ex of examples) total += ex.length + 2;
  const stream = new Int32Array(total);
  let at = 0;
  for (const ex of examples) {
    stream[at++] = special.bosId;
    for (let i = 0; i < ex.length; i++) stream[at++] = ex[i];
    stream[at++] = special.eosId;
  }
  return stream;
}

export interface ExampleSplit {
  train: TokenizedExample[];
  validation: TokenizedExample[];
}

/**
 * Holds out whole examples for validation (a seeded shuffle picks them), so no validation text
 * leaks into training windows. With fewer than two examples nothing is held out.
 */
export function splitExamples(examples: readonly TokenizedExample[], valFraction: number, seed: number): ExampleSplit {
  if (valFraction < 0 || valFraction >= 1) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  const n = examples.length;
  const valCount = n < 2 || valFraction === 0 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
  const order = shuffledIndices(n, new SeededRng(seed ^ 0x5eed5eed));
  const held = new Set(order.slice(0, valCount));
  const train: TokenizedExample[] = [];
  const validation: TokenizedExample[] = [];
  examples.forEach((ex, i) => (held.has(i) ? validation : train).push(ex));
  return { train, validation };
}

export interface TokenWindows {
  /** [count, length] row-major inputs. */
  inputs: Int32Array;
  /** [count, length] row-major next-token targets. */
  targets: Int32Array;
  count: number;
  length: number;
}

/** `count` random contiguous windows of `length + 1` tokens, split into inputs and shifted targets. */
export function sampleWindows(stream: Int32Array, count: number, length: number, rng: SeededRng): TokenWindows {
  const span = stream.length - (length + 1);
  if (span < 0) throw new Error(`token stream of ${stream.length} tokens is shorter than one window (${length + 1})`);
  const inputs = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  for (let b = 0; b < count; b++) {
    const start = rng.nextInt(span + 1);
    inputs.set(stream.subarray(start, start + length), b * length);
    targets.set(stream.subarray(start + 1, start + length + 1), b * length);
  }
  return { inputs, targets, count, length };
}

/**
 * Deterministic evaluation windows: consecutive non-overlapping windows from the stream start,
 * at most `maxWindows`. A stream shorter than one window yields one shorter window.
 */
export function evaluationWindows(stream: Int32Array, length: number, maxWindows: number): TokenWindows {
  if (stream.length < 2) return { inputs: new Int32Array(0), targets: new Int32Array(0), count: 0, length };
  const len = Math.min(length, stream.length - 1);
  const count = Math.max(1, Math.min(maxWindows, Math.floor((stream.length - 1) / len)));
  const inputs = new Int32Array(count * len);
  const targets = new Int32Array(count * len);
  for (let b = 0; b < count; b++) {
    const start = b * len;
    inputs.set(stream.subarray(start, start + len), b * len);
    targets.set(stream.subarray(start + 1, start + len + 1), b * len);
  }
  return { inputs, targets, count, length: len };
}

/** FNV-1a over the stream, so a resumed run can tell it is being fed the same data. */
export function streamFingerprint(stream: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) {
    h = Math.imul(h ^ (stream[i] & 0xff), 0x01000193);
    h = Math.imul(h ^ ((stream[i] >>> 8) & 0xffffff), 0x01000193);
  }
  return `${stream.length}:${(h >>> 0).toString(16)}`;
}
