/**
 * The reward head's data files (pure parsing, no I/O): JSONL preference pairs `{prompt | messages, chosen, rejected}`,
 * JSONL multiple choice `{prompt | messages, choices[], label}`, and prompt sets (JSONL `{prompt}` or one per line).
 * A line that does not parse is a BAD_REQUEST naming its line.
 */
import { AssayError, ChatMessage, LIMITS } from '@assay/contracts';

export interface PreferencePair {
  /** The conversation before the answer (ends with a non-assistant turn). */
  context: ChatMessage[];
  chosen: string;
  rejected: string;
}

export interface ChoiceItem {
  context: ChatMessage[];
  choices: string[];
  label: number;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= LIMITS.maxTextChars;

function jsonLines(text: string, what: string): Array<{ line: number; value: Record<string, unknown> }> {
  const out: Array<{ line: number; value: Record<string, unknown> }> = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw AssayError.badRequest(`${what}: line ${i + 1} is not JSON`, { line: i + 1 });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw AssayError.badRequest(`${what}: line ${i + 1} is not a JSON object`, { line: i + 1 });
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  return out;
}

function context(value: Record<string, unknown>, line: number, what: string): ChatMessage[] {
  if (isText(value.prompt) && value.prompt.length > 0 && value.messages === undefined) return [{ role: 'user', content: value.prompt }];
  const messages = value.messages;
  if (value.prompt === undefined && Array.isArray(messages) && messages.length > 0) {
    const ok = messages.every((m) => typeof m === 'object' && m !== null && typeof (m as ChatMessage).role === 'string' && isText((m as ChatMessage).content));
    if (ok && (messages[messages.length - 1] as ChatMessage).role !== 'assistant') return messages.map((m: ChatMessage) => ({ role: m.role, content: m.content }));
  }
  throw AssayError.badRequest(`${what}: line ${line} needs a non-empty "prompt" or "messages" (not ending with the assistant's turn)`, { line });
}

export function parsePreferencePairs(text: string, what = 'preference pairs'): PreferencePair[] {
  return jsonLines(text, what).map(({ line, value }) => {
    if (!isText(value.chosen) || !isText(value.rejected)) throw AssayError.badRequest(`${what}: line ${line} needs string "chosen" and "rejected"`, { line });
    return { context: context(value, line, what), chosen: value.chosen, rejected: value.rejected };
  });
}

export function parseChoiceItems(text: string, what = 'multiple choice'): ChoiceItem[] {
  return jsonLines(text, what).map(({ line, value }) => {
    const { choices, label } = value;
    if (!Array.isArray(choices) || choices.length < 2 || !choices.every((c) => isText(c) && c.length > 0)) {
      throw AssayError.badRequest(`${what}: line ${line} needs "choices", at least two non-empty strings`, { line });
    }
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= choices.length) throw AssayError.badRequest(`${what}: line ${line} needs "label", the index of the right choice`, { line });
    return { context: context(value, line, what), choices: choices as string[], label };
  });
}

/** Prompts of a JSONL file (field `prompt`) or a text file (one per non-empty line). */
export function parsePrompts(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 0 && lines[0].trimStart().startsWith('{')) {
    return jsonLines(text, 'prompts').map(({ line, value }) => {
      if (!isText(value.prompt) || value.prompt.length === 0) throw AssayError.badRequest(`prompts: line ${line} needs a non-empty "prompt"`, { line });
      return value.prompt;
    });
  }
  return lines;
}
