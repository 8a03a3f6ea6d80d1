import { readFile } from 'fs/promises';
import * as path from 'path';
import { Template } from '@huggingface/jinja';
import { invalidRequest, RuntimeError } from '../errors';

/**
 * A model's chat template (tokenizer_config.json `chat_template`, or the `chat_template.jinja` file newer
 * exports write beside it), rendered with @huggingface/jinja, the Jinja implementation transformers.js uses,
 * with the variables transformers passes: `messages`, `add_generation_prompt`, `tools`, `documents` and the
 * special tokens (`bos_token`, `eos_token`, ...). The rendered text contains the template's own special
 * tokens (BOS included when the template writes it), so it is encoded without adding any.
 */
export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface RenderChatOptions {
  /** End with the assistant's turn opener, so generation continues as the assistant (default true). */
  addGenerationPrompt?: boolean;
  tools?: unknown[];
  documents?: unknown[];
  /** Further template variables (e.g. `enable_thinking`). */
  variables?: Record<string, unknown>;
}

const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** The template to use from a `chat_template` value: a string, or named templates (HF's list or map form). */
function pickTemplate(value: unknown, name: string | undefined): string | undefined {
  if (typeof value === 'string') return value;
  const named: Record<string, unknown> = Array.isArray(value)
    ? Object.fromEntries(value.filter((t) => t && typeof t === 'object').map((t) => [(t as { name: string }).name, (t as { template: unknown }).template]))
    : value && typeof value === 'object'
      ? (value as Record<string, unknown>)
      : {};
  const chosen = named[name ?? 'default'];
  return typeof chosen === 'string' ? chosen : undefined;
}

export function checkMessages(messages: unknown, field = 'messages'): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw invalidRequest(`${field} must be a non-empty array of {role, content}`, { field });
  messages.forEach((m, i) => {
    if (!m || typeof m !== 'object' || typeof (m as ChatMessage).role !== 'string' || (m as ChatMessage).role.length === 0 || typeof (m as ChatMessage).content !== 'string') {
      throw invalidRequest(`${field}[${i}] must be an object with a non-empty string role and a string content`, { field: `${field}.${i}` });
    }
  });
  return messages as ChatMessage[];
}

export class ChatTemplate {
  private readonly compiled: Template;

  constructor(
    readonly source: string,
    /** Special-token variables (bos_token, eos_token, ...) the template may use. */
    readonly specialTokens: Readonly<Record<string, string>> = {},
  ) {
    try {
      this.compiled = new Template(source);
    } catch (error) {
      throw new RuntimeError('MODEL_DIR_INVALID', `the chat template does not parse: ${(error as Error).message}`);
    }
  }

  /** The template of a tokenizer_config.json (and an optional separate `chat_template.jinja` text), or undefined. */
  static fromTokenizerConfig(tokenizerConfig: Record<string, unknown>, separate?: string, name?: string): ChatTemplate | undefined {
    const source = pickTemplate(tokenizerConfig.chat_template, name) ?? separate;
    if (source === undefined) return undefined;
    const specialTokens: Record<string, string> = {};
    for (const key of SPECIAL_TOKENS) {
      const value = tokenText(tokenizerConfig[key]);
      if (value !== undefined) specialTokens[key] = value;
    }
    return new ChatTemplate(source, specialTokens);
  }

  /** Reads a model directory's template (tokenizer_config.json, then chat_template.jinja); undefined when it has none. */
  static async fromDir(dir: string): Promise<ChatTemplate | undefined> {
    const read = (file: string) => readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    const configText = await read('tokenizer_config.json');
    let config: Record<string, unknown> = {};
    if (configText !== undefined) {
      try {
        config = JSON.parse(configText) as Record<string, unknown>;
      } catch (error) {
        throw new RuntimeError('MODEL_DIR_INVALID', `${dir}/tokenizer_config.json is not valid JSON: ${(error as Error).message}`);
      }
    }
    return ChatTemplate.fromTokenizerConfig(config, await read('chat_template.jinja'));
  }

  /** The conversation as the model was trained to see it. Template errors (e.g. `raise_exception`) are INVALID_REQUEST. */
  render(messages: ChatMessage[], options: RenderChatOptions = {}): string {
    checkMessages(messages);
    try {
      return this.compiled.render({
        ...this.specialTokens,
        ...options.variables,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        // null, not undefined, when absent: templates test `tools is not none` (as transformers passes None).
        tools: options.tools ?? null,
        documents: options.documents ?? null,
      });
    } catch (error) {
      throw invalidRequest(`the model's chat template refused the conversation: ${(error as Error).message}`, { field: 'messages' });
    }
  }
}
