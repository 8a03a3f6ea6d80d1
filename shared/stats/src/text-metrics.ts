/** Reference-based text scores for audits of translation-like behaviour: chrF and BLEU, sacreBLEU-compatible. */
export * from './text/chrf';
export * from './text/bleu';
export { tokenize13a } from './text/tokenizer-13a';
