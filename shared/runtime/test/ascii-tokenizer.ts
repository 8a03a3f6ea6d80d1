import { END_OF_TEXT, TokenizerJson } from '@assay/forge';

/**
 * A byte-level BPE tokenizer.json over printable ASCII and newline plus a few merges: any text a random
 * model generates decodes to clean ASCII (stop strings and text assertions stay readable), and the
 * multi-character merges exercise the incremental detokenizer. Id 0 is <|endoftext|> (BOS = EOS = pad).
 */
export const EOS_TOKEN = END_OF_TEXT;
const MERGES: [string, string][] = [
  ['Ġ', 't'],
  ['h', 'e'],
  ['Ġt', 'he'],
  ['i', 'n'],
  ['e', 'r'],
  ['a', 'n'],
  ['Ġ', 'a'],
  ['o', 'n'],
];

/** GPT-2's byte → printable-unicode map, restricted to what our vocabulary uses. */
function byteChar(byte: number): string {
  if (byte === 32) return 'Ġ';
  if (byte === 10) return 'Ċ';
  return String.fromCharCode(byte);
}

export function asciiTokenizerJson(extraTokens = 0): TokenizerJson {
  const vocab: Record<string, number> = { [EOS_TOKEN]: 0 };
  let next = 1;
  for (const byte of [10, ...Array.from({ length: 95 }, (_, i) => 32 + i)]) vocab[byteChar(byte)] = next++;
  for (const [a, b] of MERGES) vocab[a + b] = next++;
  for (let i = 0; i < extraTokens; i++) vocab[`x${i}y`] = next++;
  const byteLevel = { type: 'ByteLevel' as const, add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: EOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
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
      merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
}

