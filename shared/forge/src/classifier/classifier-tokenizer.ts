import { ByteLevelBpe } from '../tokenizer/bpe-encoder';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer';
import { PAD_TOKEN, specialTokenId, TokenizerJson } from '../tokenizer/tokenizer-json';

/**
 * A byte-level BPE `tokenizer.json` that may lowercase its input (Hugging Face `Lowercase`
 * normalizer), so any HF-compatible loader reproduces the ids the classifier was trained on.
 */
export type ClassifierTokenizerJson = Omit<TokenizerJson, 'normalizer'> & { normalizer: { type: 'Lowercase' } | null };

export interface ClassifierTokenizerOptions {
  texts: readonly string[];
  vocabSize: number;
  /** Default true: case carries little toxicity signal and a 4k vocabulary goes further without it. */
  lowercase?: boolean;
}

export function trainClassifierTokenizer(options: ClassifierTokenizerOptions): ClassifierTokenizerJson {
  const lowercase = options.lowercase ?? true;
  const texts = lowercase ? options.texts.map((t) => t.toLowerCase()) : options.texts;
  const tokenizer = trainBpeTokenizer({ texts, vocabSize: options.vocabSize });
  return { ...tokenizer, normalizer: lowercase ? { type: 'Lowercase' } : null };
}

/** Encodes text as the exported model expects it: normalizer, BPE, then keep the first `maxLength` ids. */
export class ClassifierTextEncoder {
  readonly padId: number;
  private readonly bpe: ByteLevelBpe;
  private readonly lowercase: boolean;

  constructor(tokenizer: ClassifierTokenizerJson, readonly maxLength: number) {
    const plain: TokenizerJson = { ...tokenizer, normalizer: null };
    this.bpe = new ByteLevelBpe(plain);
    this.lowercase = tokenizer.normalizer?.type === 'Lowercase';
    this.padId = specialTokenId(plain, PAD_TOKEN);
  }

  encode(text: string): number[] {
    return this.bpe.encode(this.lowercase ? text.toLowerCase() : text).slice(0, this.maxLength);
  }

  /**
   * Right-padded `input_ids` and `attention_mask` rows (padding with the pad id, mask 0), at least
   * one column wide so an empty text still makes a valid tensor.
   */
  encodeBatch(texts: readonly string[]): { inputIds: number[][]; attentionMask: number[][] } {
    const rows = texts.map((t) => this.encode(t));
    const width = Math.max(1, ...rows.map((r) => r.length));
    return {
      inputIds: rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(this.padId)]),
      attentionMask: rows.map((r) => [...new Array<number>(r.length).fill(1), ...new Array<number>(width - r.length).fill(0)]),
    };
  }
}
