/**
 * sacreBLEU's default BLEU tokenizer "13a" (a minimal re-implementation of mteval-v13a.pl's tokenization):
 * sacrebleu/tokenizers/tokenizer_13a.py + tokenizer_re.py (sacreBLEU 2.x).
 */
import { pySplit } from './python-text';

const RULES: Array<[RegExp, string]> = [
  // Language-dependent part (assuming Western languages): pad these ASCII symbols with spaces.
  [/([{-~[-`\u0020-&(-+:-@/])/g, ' $1 '],
  // Tokenize period and comma unless preceded by a digit.
  [/([^0-9])([.,])/g, '$1 $2 '],
  // Tokenize period and comma unless followed by a digit.
  [/([.,])([^0-9])/g, ' $1 $2'],
  // Tokenize dash when preceded by a digit.
  [/([0-9])(-)/g, '$1 $2 '],
];

export function tokenize13a(line: string): string[] {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, replacement] of RULES) s = s.replace(re, replacement);
  return pySplit(s);
}
