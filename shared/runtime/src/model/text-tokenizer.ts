import { Tokenizer } from '@huggingface/tokenizers';

/**
 * The model's tokenizer (HF tokenizer.json through @huggingface/tokenizers, pure JS). The runtime never
 * lets the tokenizer add special tokens: BOS is placed explicitly by the engine (see request-preparation),
 * so generation and scoring agree on every sequence boundary.
 */
export class TextTokenizer {
  /** One more than the largest id the tokenizer can produce (vocabulary + added tokens). */
  readonly size: number;
  private readonly specialIds: ReadonlySet<number>;

  constructor(
    private readonly tokenizer: Tokenizer,
    json: { model?: { vocab?: unknown }; added_tokens?: { id: number; special?: boolean }[] },
  ) {
    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) if (id > maxId) maxId = id;
    for (const token of json.added_tokens ?? []) if (token.id > maxId) maxId = token.id;
    this.size = maxId + 1;
    this.specialIds = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
  }

  static fromJson(tokenizerJson: object, tokenizerConfig: object = {}): TextTokenizer {
    return new TextTokenizer(new Tokenizer(tokenizerJson, tokenizerConfig), tokenizerJson as never);
  }

  encode(text: string): number[] {
    return text.length === 0 ? [] : this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of `ids` with special tokens (EOS, BOS, padding) left out. */
  decode(ids: number[]): string {
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}
