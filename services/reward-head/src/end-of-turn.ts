/**
 * The end-of-turn rule of the reward head (spec dph.md §3 and pitfall 1): the reward is read at the LAST end-of-turn
 * token of the assistant's turn. A conversation is rendered with L's chat template, the text is cut right after the
 * assistant's end-of-turn marker, and the final-norm state of that text's last token is the head's input. The marker
 * is the template's own (ChatML `<|im_end|>`, Llama 3 `<|eot_id|>`, ...), found by rendering a probe conversation,
 * so a candidate that already ends with it and one that does not render the same text. Pure: no I/O.
 */
import { AssayError, ChatMessage, Completion } from '@assay/contracts';

/** Text no real answer contains: the probe's assistant content, to find what the template writes after it. */
const PROBE = '\u2063assay-reward-probe\u2063';

/** The probe conversation endOfTurnMarker renders. */
export const PROBE_CONVERSATION: ChatMessage[] = [
  { role: 'user', content: 'hello' },
  { role: 'assistant', content: PROBE },
];

/**
 * The end-of-turn marker of a template, from its rendering of PROBE_CONVERSATION: what follows the assistant's
 * content, up to the first whitespace (ChatML writes `<|im_end|>\n`, the marker is `<|im_end|>`).
 */
export function endOfTurnMarker(renderedProbe: string): string {
  const at = renderedProbe.lastIndexOf(PROBE);
  if (at < 0) throw AssayError.badRequest('the chat template drops the assistant\'s content: no end-of-turn token to read the reward at');
  const marker = renderedProbe.slice(at + PROBE.length).trimStart().split(/\s/)[0];
  if (!marker) throw AssayError.badRequest('the chat template writes nothing after the assistant\'s content: no end-of-turn token to read the reward at');
  return marker;
}

/** A candidate without a trailing end-of-turn marker (and the whitespace after it): the template appends it. */
export function stripEndOfTurn(candidate: string, marker: string): string {
  const trimmed = candidate.trimEnd();
  return trimmed.endsWith(marker) ? trimmed.slice(0, trimmed.length - marker.length) : candidate;
}

/**
 * Refuses a conversation whose last turn is not the assistant's: its last end-of-turn would close the user's turn
 * and the head would score the question, not an answer (spec pitfall 1).
 */
export function assertEndsWithAssistant(conversation: readonly ChatMessage[], index = 0): void {
  const last = conversation[conversation.length - 1];
  if (!last || last.role !== 'assistant') {
    throw AssayError.badRequest(`conversation ${index}: the last turn is the ${last ? `${last.role}'s` : 'empty'}, not the assistant's; a reward is read at the end of an assistant turn`, {
      field: `conversations.${index}`,
    });
  }
}

/** The conversation before the answer: a prompt becomes one user turn; messages must not end with the assistant. */
export function contextConversation(request: { prompt?: string; messages?: ChatMessage[] }): ChatMessage[] {
  if (request.prompt !== undefined) return [{ role: 'user', content: request.prompt }];
  const messages = request.messages ?? [];
  if (messages.length === 0) throw AssayError.badRequest('give exactly one of prompt or messages', { field: 'prompt' });
  if (messages[messages.length - 1].role === 'assistant') {
    throw AssayError.badRequest('messages end with an assistant turn; the candidates are the assistant\'s reply, so the last turn must be another role\'s', { field: 'messages' });
  }
  return messages;
}

/** Each candidate as the assistant's reply to the context (its trailing end-of-turn marker removed). */
export function candidateConversations(context: readonly ChatMessage[], candidates: readonly string[], marker: string): ChatMessage[][] {
  return candidates.map((candidate) => [...context, { role: 'assistant', content: stripEndOfTurn(candidate, marker) }]);
}

/**
 * A rendered conversation (ending with the assistant's turn) cut right after its last end-of-turn marker: the text
 * whose last token is where the reward is read. Refuses a rendering whose last marker comes before the assistant's
 * content (a template that does not close the assistant's turn).
 */
export function cutAtEndOfTurn(rendered: string, marker: string, assistantContent: string): string {
  const at = rendered.lastIndexOf(marker);
  if (at < 0) throw AssayError.badRequest(`the rendered conversation has no end-of-turn marker ${JSON.stringify(marker)}`);
  // The assistant's content (as the template may trim it) must sit right before that marker.
  if (!rendered.slice(0, at).trimEnd().endsWith(assistantContent.trim())) {
    throw AssayError.badRequest(`the chat template does not close the assistant's turn with ${JSON.stringify(marker)}`);
  }
  return rendered.slice(0, at + marker.length);
}

/**
 * The generated token ids a completion's end-of-turn state follows (generate with endOfTurnToken): all its tokens,
 * a stop string's included, except the final EOS when it ended by one (EOS adds no text; the end-of-turn token takes
 * its place).
 */
export function ownTokenIds(completion: Pick<Completion, 'tokens' | 'finishReason'>): number[] {
  const ids = completion.tokens.map((t) => t.id);
  return completion.finishReason === 'eos' ? ids.slice(0, -1) : ids;
}

/**
 * Whether a state the decode loop computed over prompt + own tokens + end-of-turn token is the state scoring a text
 * reads: true exactly when the text's token ids (`scoredIds`, as the scoring pass encodes the rendered conversation
 * cut after its end-of-turn marker) are those same ids. False when the text was cut (a stop string), lost a token
 * (special tokens decode to no text), was trimmed by the template, or re-tokenises otherwise (sampling can pick a
 * non-canonical split, e.g. "h"+"e" where the tokenizer writes "he").
 */
export function statesFollowScoredTokens(scoredIds: readonly number[], promptIds: readonly number[], ownIds: readonly number[], endOfTurnId: number): boolean {
  if (scoredIds.length !== promptIds.length + ownIds.length + 1) return false;
  for (let i = 0; i < promptIds.length; i++) if (scoredIds[i] !== promptIds[i]) return false;
  for (let i = 0; i < ownIds.length; i++) if (scoredIds[promptIds.length + i] !== ownIds[i]) return false;
  return scoredIds[scoredIds.length - 1] === endOfTurnId;
}
