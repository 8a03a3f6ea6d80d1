import { AssayError } from '@assay/contracts';

/**
 * Items of an evaluation set, from the bytes of an uploaded file (pure).
 * - JSONL: `response` (or `text`, `answer`) and optional `prompt` (or `question`).
 * - plain text: one item per non-empty line: a response, or a prompt when the set's kind is `prompts`.
 */
export interface EvaluationItem {
  prompt?: string;
  response?: string;
}

const RESPONSE_FIELDS = ['response', 'text', 'answer'] as const;
const PROMPT_FIELDS = ['prompt', 'question'] as const;

export function parseEvaluationItems(content: string, kind: 'responses' | 'prompts', maxItems = Infinity): EvaluationItem[] {
  const lines = content.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const records = lines.length > 0 && lines.every(isJsonObject) ? lines.map((l) => JSON.parse(l) as Record<string, unknown>) : undefined;
  const items: EvaluationItem[] = [];
  for (const [i, line] of lines.entries()) {
    if (items.length >= maxItems) break;
    const record = records?.[i];
    const prompt = record ? firstString(record, PROMPT_FIELDS) : kind === 'prompts' ? line : undefined;
    const response = record ? firstString(record, RESPONSE_FIELDS) : kind === 'responses' ? line : undefined;
    if (kind === 'prompts' ? prompt : response) items.push({ ...(prompt ? { prompt } : {}), ...(kind === 'responses' && response ? { response } : {}) });
  }
  return items;
}

export interface MultipleChoiceItem {
  question: string;
  /** Letter → option text, in letter order. */
  options: Array<[string, string]>;
  answerIdx: string;
  /** The gold option's text (path B of certified benchmarking scores it). */
  answer: string;
}

/** MedQA / MMLU-style JSONL: `question`, `options` {"A": ...}, `answer_idx`, optional `answer`. */
export function parseMultipleChoice(content: string, maxItems = Infinity): MultipleChoiceItem[] {
  const items: MultipleChoiceItem[] = [];
  for (const [i, line] of content.split(/\r?\n/).entries()) {
    if (items.length >= maxItems) break;
    if (!line.trim()) continue;
    let record: { question?: unknown; options?: unknown; answer_idx?: unknown; answer?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      throw AssayError.badRequest(`multiple-choice data line ${i + 1} is not JSON`);
    }
    const options = typeof record.options === 'object' && record.options !== null ? Object.entries(record.options as Record<string, unknown>) : [];
    const valid = options.filter((o): o is [string, string] => /^[A-Z]$/.test(o[0]) && typeof o[1] === 'string').sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const answerIdx = String(record.answer_idx ?? '');
    const gold = valid.find(([letter]) => letter === answerIdx);
    if (typeof record.question !== 'string' || valid.length < 2 || !gold) {
      throw AssayError.badRequest(`multiple-choice data line ${i + 1} needs question, options {"A": ...} (2 or more) and answer_idx naming one of them`);
    }
    items.push({ question: record.question, options: valid, answerIdx, answer: typeof record.answer === 'string' && record.answer ? record.answer : gold[1] });
  }
  return items;
}

function firstString(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim()) return value;
  }
  return undefined;
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
