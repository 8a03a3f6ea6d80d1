/**
 * How the domain-pair recipe lays out text for its two models.
 *
 * A training example is either plain text (a response with no prompt, or general prose) or a prompt/response
 * pair. The large model L sees pairs as `Question: {prompt}\nAnswer:\n{response}`; the guide G only ever sees
 * responses. The answer starts after a newline on purpose: the byte-level pre-tokenizer always splits there,
 * so a response has the same token ids whether it is encoded alone (for G) or after its prompt (for L). That
 * makes the prompt/response split exact (no ±1-token BPE boundary, spec pitfall §7) and lets L's response ids
 * be fed straight to G (`tokenizers_match`).
 */
export type DomainExample = string | { prompt: string; response: string };

export const QUESTION_PREFIX = 'Question: ';
export const ANSWER_SEPARATOR = '\nAnswer:\n';

/** The context L is prompted with for a question; the response follows it directly. */
export function formatPrompt(question: string): string {
  return `${QUESTION_PREFIX}${question.trim()}${ANSWER_SEPARATOR}`;
}

/** The full text L is trained on for one example. */
export function formatForLarge(example: DomainExample): string {
  return typeof example === 'string' ? example : formatPrompt(example.prompt) + example.response;
}

/** The response part (what G is trained on and what both models score). */
export function responseOf(example: DomainExample): string {
  return typeof example === 'string' ? example : example.response;
}

/** The prompt as L's context, or '' for plain text (scored from BOS alone). */
export function contextOf(example: DomainExample): string {
  return typeof example === 'string' ? '' : formatPrompt(example.prompt);
}
