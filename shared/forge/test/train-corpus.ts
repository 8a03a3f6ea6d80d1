import * as fs from 'fs';
import * as path from 'path';

export const SHAKESPEARE = path.resolve(__dirname, '../../../../shared/data/tinyshakespeare/input.txt');

export interface CharCorpus {
  vocabSize: number;
  bosId: number;
  eosId: number;
  /** One example per speech ("Speaker:\nlines"), as character ids. */
  examples: number[][];
  encode: (text: string) => number[];
}

/** Character-level ids over the first `chars` characters of tiny Shakespeare (0 = BOS, 1 = EOS). */
export function charCorpus(chars: number, offset = 0): CharCorpus {
  const text = fs.readFileSync(SHAKESPEARE, 'utf8');
  const alphabet = [...new Set(text)].sort();
  const ids = new Map(alphabet.map((c, i) => [c, i + 2]));
  const encode = (s: string): number[] => [...s].map((c) => ids.get(c)!);
  const speeches = text.slice(offset, offset + chars).split('\n\n').filter((s) => s.length > 0);
  return { vocabSize: alphabet.length + 2, bosId: 0, eosId: 1, examples: speeches.map(encode), encode };
}
