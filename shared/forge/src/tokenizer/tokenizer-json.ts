/** The subset of Hugging Face `tokenizer.json` (byte-level BPE) that forge writes. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface ByteLevelJson {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

export interface BpeModelJson {
  type: 'BPE';
  dropout: null;
  unk_token: null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  /**
   * Merges in rank order as "left right" strings: byte-level tokens never contain a space, and every
   * tokenizers version (Rust ≥ 0.20 also takes [left, right] pairs) and tokenizers.js read this form.
   */
  merges: string[];
}

export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: ByteLevelJson;
  post_processor: ByteLevelJson;
  decoder: ByteLevelJson;
  model: BpeModelJson;
}

/** GPT-2's document separator, used as BOS and EOS. */
export const END_OF_TEXT = '<|endoftext|>';
export const PAD_TOKEN = '<|pad|>';
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = [END_OF_TEXT, PAD_TOKEN];

/** Id of an added (special) token; throws if absent. */
export function specialTokenId(tokenizer: TokenizerJson, content: string): number {
  const token = tokenizer.added_tokens.find((t) => t.content === content);
  if (token === undefined) throw new Error(`tokenizer has no added token ${content}`);
  return token.id;
}

/** Number of ids the tokenizer can emit (model vocab plus added tokens); the model's vocab_size. */
export function tokenizerVocabSize(tokenizer: TokenizerJson): number {
  let max = -1;
  for (const id of Object.values(tokenizer.model.vocab)) max = Math.max(max, id);
  for (const t of tokenizer.added_tokens) max = Math.max(max, t.id);
  return max + 1;
}
