/** Decodes token ids to text (the model's tokenizer, special tokens skipped). */
export type DecodeFn = (ids: number[]) => string;

const REPLACEMENT_CHAR = '\uFFFD';

/**
 * Turns a growing token sequence into text deltas, one per token, without re-decoding the whole
 * sequence each step (vLLM's detokenize_incrementally). A token whose bytes end mid-character (byte-level
 * BPE splits multi-byte UTF-8) yields '' and its text arrives with the token that completes it; the
 * window of previous tokens keeps merges and leading spaces right.
 */
export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: DecodeFn) {}

  /** Appends one token; returns the text it adds (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    if (fullText.length > prefixText.length && !fullText.endsWith(REPLACEMENT_CHAR) && fullText.startsWith(prefixText)) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return fullText.slice(prefixText.length);
    }
    return '';
  }

  /** Text still held back at the end (an incomplete character decodes to U+FFFD, as a full decode would). */
  flush(): string {
    if (this.readOffset === this.ids.length) return '';
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return fullText.startsWith(prefixText) ? fullText.slice(prefixText.length) : fullText;
  }
}
