import { BYTE_ORDER, BYTE_TO_UNICODE, preTokenize, splitOnSpecialTokens, toByteLevel } from './byte-level';
import { AddedTokenJson, DEFAULT_SPECIAL_TOKENS, TokenizerJson } from './tokenizer-json';

export interface BpeTrainingOptions {
  texts: Iterable<string>;
  /** Target size: 256 byte tokens + merged tokens + special tokens. Training stops early if pairs run out. */
  vocabSize: number;
  /** Appended after the merged tokens, in order. Default `<|endoftext|>`, `<|pad|>`. */
  specialTokens?: readonly string[];
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Also reserve ChatML's turn markers (`<|im_start|>`, `<|im_end|>`) as special tokens, after `specialTokens`. */
  chatTokens?: boolean;
}

/** ChatML's turn markers, reserved by `trainBpeTokenizer({ chatTokens: true })` (CHATML_TEMPLATE writes them). */
export const CHATML_SPECIAL_TOKENS: readonly string[] = ['<|im_start|>', '<|im_end|>'];

const PAIR_SHIFT = 2 ** 21;
const pairKey = (a: number, b: number): number => a * PAIR_SHIFT + b;

/** Max-heap of (count, pair) entries; stale entries are skipped by the caller. Ties: smaller pair key first. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Frequencies of byte-level pre-tokens; special tokens are cut out first so they never merge. */
export function countPreTokens(texts: Iterable<string>, specialTokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const part of splitOnSpecialTokens(text, specialTokens)) {
      if (part.special) continue;
      for (const piece of preTokenize(part.text)) {
        const word = toByteLevel(piece);
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return counts;
}

export interface BpeMerges {
  /** Token strings by id: 256 byte tokens (GPT-2 order), then merged tokens. */
  tokens: string[];
  /** Merges in rank order. */
  merges: [string, string][];
}

/**
 * Byte-level BPE training on word frequencies: repeatedly merge the most frequent adjacent pair,
 * updating pair counts incrementally for the words that contain it.
 */
export function learnMerges(wordCounts: Map<string, number>, maxTokens: number, minFrequency = 2): BpeMerges {
  const tokens = BYTE_ORDER.map((b) => BYTE_TO_UNICODE[b]);
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(word, (c) => idOf.get(c) as number));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addWordPairs = (w: number, sign: 1 | -1, touched: Set<number>): void => {
    const syms = words[w];
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = pairKey(syms[i], syms[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]);
      touched.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addWordPairs(w, 1, initial);
  const heap = new PairHeap();
  for (const key of initial) heap.push(pairCounts.get(key) as number, key);

  const merges: [string, string][] = [];
  while (tokens.length < maxTokens && heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCounts.get(key) !== count) continue; // stale entry
    if (count < Math.max(1, minFrequency)) break;
    const a = Math.floor(key / PAIR_SHIFT);
    const b = key % PAIR_SHIFT;
    const merged = tokens[a] + tokens[b];
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      idOf.set(merged, id);
    }
    merges.push([tokens[a], tokens[b]]);

    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const syms = words[w];
      let present = false;
      for (let i = 0; i + 1 < syms.length && !present; i++) present = syms[i] === a && syms[i + 1] === b;
      if (!present) continue;
      addWordPairs(w, -1, touched);
      const next: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(syms[i]);
      }
      words[w] = next;
      addWordPairs(w, 1, touched);
    }
    pairWords.delete(key);
    for (const k of touched) {
      const c = pairCounts.get(k) as number;
      if (c > 0) heap.push(c, k);
      else pairCounts.delete(k);
    }
  }
  return { tokens, merges };
}

/** Trains a GPT-2-style byte-level BPE tokenizer and returns its Hugging Face `tokenizer.json`. */
export function trainBpeTokenizer(options: BpeTrainingOptions): TokenizerJson {
  const specials = [...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS), ...(options.chatTokens ? CHATML_SPECIAL_TOKENS : [])];
  if (new Set(specials).size !== specials.length) throw new Error('duplicate special tokens');
  const maxTokens = options.vocabSize - specials.length;
  if (maxTokens < 256) throw new Error(`vocabSize must be at least ${256 + specials.length}`);
  const { tokens, merges } = learnMerges(countPreTokens(options.texts, specials), maxTokens, options.minFrequency ?? 2);

  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const added: AddedTokenJson[] = specials.map((content, i) => {
    if (content in vocab) throw new Error(`special token ${content} collides with a learned token`);
    vocab[content] = tokens.length + i;
    return { id: tokens.length + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } as const;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([l, r]) => `${l} ${r}`),
    },
  };
}
