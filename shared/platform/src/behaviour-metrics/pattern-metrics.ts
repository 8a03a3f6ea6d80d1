import { BehaviourMetric, ScoreItem } from './behaviour-metric';

/** Lower-cased word tokens (letters, digits, apostrophes), so "Idiot!" and "idiot" are one word. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

/**
 * Listed words (or multi-word phrases) in the completion. `presence`: 1 when any entry occurs, else 0.
 * `fraction`: the share of the completion's words covered by an entry, NaN for a completion without words.
 */
export class LexiconMetric implements BehaviourMetric {
  readonly name: string;
  private readonly single = new Set<string>();
  private readonly phrases: string[][] = [];

  constructor(
    words: readonly string[],
    private readonly mode: 'presence' | 'fraction' = 'presence',
  ) {
    for (const entry of words) {
      const tokens = wordTokens(entry);
      if (tokens.length === 1) this.single.add(tokens[0]);
      else if (tokens.length > 1) this.phrases.push(tokens);
    }
    this.name = `lexicon(${mode}, ${words.length} entries)`;
  }

  async score(items: readonly ScoreItem[]): Promise<number[]> {
    return items.map((item) => this.scoreText(item.completion));
  }

  scoreText(text: string): number {
    const tokens = wordTokens(text);
    const covered = this.coverage(tokens);
    if (this.mode === 'presence') return covered.some(Boolean) ? 1 : 0;
    return tokens.length === 0 ? NaN : covered.filter(Boolean).length / tokens.length;
  }

  private coverage(tokens: string[]): boolean[] {
    const covered = tokens.map((t) => this.single.has(t));
    for (const phrase of this.phrases) {
      for (let i = 0; i + phrase.length <= tokens.length; i++) {
        if (phrase.every((word, k) => tokens[i + k] === word)) for (let k = 0; k < phrase.length; k++) covered[i + k] = true;
      }
    }
    return covered;
  }
}

/** 1 when the completion matches the pattern, else 0. Completions are bounded by maxNewTokens, which bounds the matching work. */
export class RegexMetric implements BehaviourMetric {
  readonly name: string;
  private readonly regex: RegExp;

  constructor(pattern: string, flags = 'i') {
    // No 'g' or 'y': a stateful regex would make test() depend on the previous call.
    this.regex = new RegExp(pattern, flags.replace(/[gy]/g, ''));
    this.name = `regex(/${pattern}/${this.regex.flags})`;
  }

  async score(items: readonly ScoreItem[]): Promise<number[]> {
    return items.map((item) => (this.regex.test(item.completion) ? 1 : 0));
  }
}
