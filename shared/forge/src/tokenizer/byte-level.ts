/**
 * GPT-2 byte-level building blocks, identical to Hugging Face `ByteLevel` (pre-tokenizer and decoder).
 */

/** GPT-2's pre-tokenization pattern (the one `ByteLevel` with `use_regex: true` applies). */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Bytes in GPT-2's order: printable Latin-1 bytes first (mapped to themselves), then the rest
 * (mapped to U+0100 onward). GPT-2 gives byte token `BYTE_ORDER[i]` the id i.
 */
export const BYTE_ORDER: readonly number[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) rest.push(b);
  return [...printable, ...rest];
})();

/** byte → its visible unicode stand-in (`bytes_to_unicode`). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const table = new Array<string>(256);
  let extra = 0;
  for (const b of BYTE_ORDER) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
})();

export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

const utf8 = new TextEncoder();

/** Splits text into GPT-2 pre-tokens (before byte mapping). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** UTF-8 bytes of `piece`, each replaced by its unicode stand-in. */
export function toByteLevel(piece: string): string {
  let out = '';
  for (const byte of utf8.encode(piece)) out += BYTE_TO_UNICODE[byte];
  return out;
}

/** Inverse of {@link toByteLevel} over a concatenation of byte-level tokens. */
export function fromByteLevel(tokens: string): Uint8Array {
  const bytes = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const b = UNICODE_TO_BYTE.get(tokens[i]);
    if (b === undefined) throw new Error(`not a byte-level character: ${JSON.stringify(tokens[i])}`);
    bytes[i] = b;
  }
  return bytes;
}

/**
 * Splits text around occurrences of special tokens (longest match first, leftmost), the way a
 * tokenizer isolates added tokens before pre-tokenization. Returns alternating plain/special parts.
 */
export function splitOnSpecialTokens(text: string, specials: readonly string[]): { text: string; special: boolean }[] {
  const sorted = [...specials].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return text.length > 0 ? [{ text, special: false }] : [];
  // Alternation tries alternatives in order, so longest-first gives the longest match at each position.
  const pattern = new RegExp(sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const parts: { text: string; special: boolean }[] = [];
  let start = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > start) parts.push({ text: text.slice(start, at), special: false });
    parts.push({ text: m[0], special: true });
    start = at + m[0].length;
  }
  if (start < text.length) parts.push({ text: text.slice(start), special: false });
  return parts;
}
