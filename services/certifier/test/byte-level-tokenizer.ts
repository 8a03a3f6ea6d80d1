import { TextTokenizer } from '@assay/runtime';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/**
 * A tiny byte-level BPE tokenizer (Hugging Face tokenizer.json through the runtime's TextTokenizer), for tests that
 * enumerate every answer: `text` are byte-level tokens (Ġ = space, Ã = byte 0xC3, © = byte 0xA9, ...), ids in
 * order, then EOS and BOS as special tokens. Characters whose bytes are not in the vocabulary encode to nothing.
 */
export function byteLevelTokenizer(text: readonly string[], merges: readonly string[]): TextTokenizer {
  const vocab = Object.fromEntries(text.map((t, i) => [t, i]));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return TextTokenizer.fromJson({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(text.length, '<|eos|>'), special(text.length + 1, '<|bos|>')],
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [...merges] },
  });
}
