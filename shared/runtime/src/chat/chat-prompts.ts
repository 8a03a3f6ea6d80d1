import { invalidRequest, RuntimeError } from '../errors';
import { ChatMessage, ChatTemplate, checkMessages } from './chat-template';

/**
 * The texts a generate request decodes from: its `prompts`, or its `messages` rendered with the model's chat
 * template (one conversation, or a batch of conversations; each becomes one prompt at its position).
 */
export interface PromptTexts {
  texts: string[];
  /** The request field the texts came from (for error messages). */
  field: 'prompts' | 'messages';
  /** Rendered chat prompts carry their own special tokens: BOS is not added unless asked for. */
  fromChat: boolean;
}

export interface ChatRequestFields {
  prompts?: unknown;
  messages?: unknown;
  chatTemplateVariables?: Record<string, unknown>;
}

export function promptTexts(request: ChatRequestFields, chat: ChatTemplate | undefined, checkTexts: (texts: unknown, field: string) => string[]): PromptTexts {
  if (request.messages === undefined) return { texts: checkTexts(request.prompts, 'prompts'), field: 'prompts', fromChat: false };
  // (The wire schema defaults an absent prompts to [].)
  const promptsGiven = Array.isArray(request.prompts) ? request.prompts.length > 0 : request.prompts !== undefined;
  if (promptsGiven) throw invalidRequest('give either prompts or messages, not both', { field: 'messages' });
  if (!chat) throw new RuntimeError('UNSUPPORTED', 'messages: this model has no chat template (tokenizer_config.json chat_template); send prompts instead', { field: 'messages' });
  const conversations = conversationsOf(request.messages);
  const texts = conversations.map((messages) => chat.render(messages, { addGenerationPrompt: true, variables: request.chatTemplateVariables }));
  texts.forEach((text, i) => {
    if (text.length === 0) throw invalidRequest(`messages[${i}] renders to an empty prompt`, { field: `messages.${i}` });
  });
  return { texts, field: 'messages', fromChat: true };
}

/** One conversation ([{role, content}, ...]) or several ([[...], [...]]). */
export function conversationsOf(messages: unknown): ChatMessage[][] {
  if (!Array.isArray(messages) || messages.length === 0) throw invalidRequest('messages must be a non-empty conversation or list of conversations', { field: 'messages' });
  if (messages.every((m) => Array.isArray(m))) return messages.map((c, i) => checkMessages(c, `messages[${i}]`));
  return [checkMessages(messages)];
}
