/**
 * In-domain responses for a guide, from the bytes of an uploaded file. A guide never sees prompts (spec §1:
 * each example is BOS + response + EOS), so only the response text is kept:
 * - JSONL (every non-empty line a JSON object): the first of `text`, `response`, `answer` that is a non-empty string;
 * - anything else: plain text, one example per paragraph (blank-line separated).
 */
export const RESPONSE_FIELDS = ['text', 'response', 'answer'] as const;

export interface ParsedResponses {
  format: 'jsonl' | 'text';
  responses: string[];
  /** JSONL lines without a usable response field, or empty paragraphs. */
  skipped: number;
}

export function parseResponses(content: string, maxExamples = Infinity): ParsedResponses {
  const lines = content.split(/\r?\n/).filter((line) => line.trim().length > 0);
  if (lines.length > 0 && lines.every(isJsonObjectLine)) {
    const responses: string[] = [];
    let skipped = 0;
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const field = RESPONSE_FIELDS.find((name) => typeof record[name] === 'string' && (record[name] as string).trim().length > 0);
      if (field) responses.push((record[field] as string).trim());
      else skipped++;
    }
    return { format: 'jsonl', responses: responses.slice(0, maxExamples), skipped };
  }
  const paragraphs = content.split(/\r?\n\s*\r?\n/).map((p) => p.trim());
  const responses = paragraphs.filter((p) => p.length > 0);
  return { format: 'text', responses: responses.slice(0, maxExamples), skipped: paragraphs.length - responses.length };
}

function isJsonObjectLine(line: string): boolean {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return false;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
