import { trainSharedTokenizer } from '@assay/forge';
import { TextTokenizer } from '@assay/runtime';

/**
 * The tokenizer a guide is trained with, as stored beside the job (`jobs/<id>/tokenizer.json`) and exported with
 * the model. `text` is kept byte for byte: when it is another model's tokenizer.json, the certifier sees equal
 * sha256 digests and takes the matching-tokenizers path (G rescoring L's exact token ids).
 */
export interface GuideTokenizer {
  text: string;
  bosId: number;
  eosId: number;
  padId: number;
  /** Embedding rows of the guide: every id the tokenizer (or the source model) can emit. */
  vocabSize: number;
  source: string;
}

/** Trains a byte-level BPE on the responses, with a BOS of its own (the domain-pair recipe's special tokens). */
export function trainGuideTokenizer(responses: readonly string[], vocabSize: number): GuideTokenizer {
  const forged = trainSharedTokenizer(responses, { vocabSize });
  return { text: JSON.stringify(forged.json) + '\n', bosId: forged.bosId, eosId: forged.eosId, padId: forged.padId, vocabSize: forged.vocabSize, source: 'train' };
}

interface ModelConfigIds {
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  vocab_size?: number;
}

/** A registered model's tokenizer with the special ids of its config.json (BOS falls back to EOS, as in GPT-2). */
export function borrowedTokenizer(text: string, config: ModelConfigIds, source: string): GuideTokenizer {
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  if (typeof eos !== 'number') throw new Error(`${source}: config.json has no eos_token_id`);
  const bos = typeof config.bos_token_id === 'number' ? config.bos_token_id : eos;
  const pad = typeof config.pad_token_id === 'number' ? config.pad_token_id : eos;
  const size = openTokenizer(text).size;
  return { text, bosId: bos, eosId: eos, padId: pad, vocabSize: Math.max(size, config.vocab_size ?? 0, bos + 1, eos + 1, pad + 1), source };
}

export function openTokenizer(text: string): TextTokenizer {
  return TextTokenizer.fromJson(JSON.parse(text) as object);
}
