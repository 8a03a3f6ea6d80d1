import { fromByteLevel, preTokenize, splitOnSpecialTokens, toByteLevel } from './byte-level';
import { TokenizerJson } from './tokenizer-json';

/**
 * Independent byte-level BPE encoder/decoder over a `tokenizer.json`, written like GPT-2's original
 * `bpe()` (merge every occurrence of the best-ranked pair, repeat). The yardstick for checking that
 * a trained tokenizer means the same thing to us and to `@huggingface/tokenizers`.
 */
export class ByteLevelBpe {
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly specials: string[];
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(tokenizer: TokenizerJson) {
    for (const [token, id] of Object.entries(tokenizer.model.vocab)) {
      this.ids.set(token, id);
      this.tokens[id] = token;
    }
    tokenizer.model.merges.forEach((m, rank) => this.ranks.set(m, rank));
    this.specials = tokenizer.added_tokens.map((t) => t.content);
    for (const t of tokenizer.added_tokens) {
      this.ids.set(t.content, t.id);
      this.tokens[t.id] = t.content;
    }
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const part of splitOnSpecialTokens(text, this.specials)) {
      if (part.special) {
        out.push(this.ids.get(part.text) as number);
        continue;
      }
      for (const piece of preTokenize(part.text)) out.push(...this.encodeWord(toByteLevel(piece)));
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    let text = '';
    let pending = '';
    const flush = (): void => {
      if (pending.length > 0) text += this.utf8.decode(fromByteLevel(pending));
      pending = '';
    };
    for (const id of ids) {
      const token = this.tokens[id];
      if (token === undefined) throw new Error(`unknown token id ${id}`);
      if (this.specials.includes(token)) {
        flush();
        text += token;
      } else pending += token;
    }
    flush();
    return text;
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    let symbols = Array.from(word);
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let best = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = `${symbols[i]} ${symbols[i + 1]}`;
        }
      }
      if (bestRank === Infinity) break;
      const [left, right] = best.split(' ');
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
          next.push(left + right);
          i++;
        } else next.push(symbols[i]);
      }
      symbols = next;
    }
    const ids = symbols.map((s) => {
      const id = this.ids.get(s);
      if (id === undefined) throw new Error(`merge produced a token missing from the vocab: ${s}`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }
}
