import type { ObjectStore } from '@assay/artifacts';
import { AssayError, AuditPrompt, AuditStartRequest } from '@assay/contracts';
import { Rng } from '@assay/stats';

/** A request's prompt set: inline, or read from its object key (NOT_FOUND when missing). Used by the auditor and the rectifier. */
export async function loadPromptSet(store: Pick<ObjectStore, 'getBuffer'>, source: AuditStartRequest['prompts']): Promise<AuditPrompt[]> {
  if (typeof source !== 'string') return normalizeInlinePrompts(source);
  const body = await store.getBuffer(source).catch((error: unknown) => {
    const failure = AssayError.from(error);
    throw failure.code === 'NOT_FOUND' ? AssayError.notFound(`no prompt set at object key "${source}"`, { key: source }) : failure;
  });
  return parsePromptSet(body.toString('utf8'), source);
}

/**
 * Prompt sets, pure: inline arrays or the text of an uploaded file. JSONL lines are objects with `prompt`
 * (and optional `reference`, for chrF/BLEU) or JSON strings; any other file is one prompt per non-empty line.
 */
export function parsePromptSet(text: string, source: string): AuditPrompt[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const firstLine = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  const jsonl = /\.jsonl?$/i.test(source) || firstLine.startsWith('{');
  const prompts: AuditPrompt[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    prompts.push(jsonl ? parseJsonLine(line, `${source}:${i + 1}`) : { prompt: line });
  });
  return prompts;
}

function parseJsonLine(line: string, where: string): AuditPrompt {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw AssayError.badRequest(`${where}: not valid JSON`);
  }
  if (typeof value === 'string' && value.length > 0) return { prompt: value };
  const row = value as { prompt?: unknown; reference?: unknown };
  if (typeof row !== 'object' || row === null || typeof row.prompt !== 'string' || row.prompt.length === 0) {
    throw AssayError.badRequest(`${where}: expected {"prompt": "...", "reference"?: "..."}`);
  }
  if (row.reference !== undefined && typeof row.reference !== 'string') throw AssayError.badRequest(`${where}: reference must be a string`);
  return row.reference === undefined ? { prompt: row.prompt } : { prompt: row.prompt, reference: row.reference };
}

export function normalizeInlinePrompts(prompts: Exclude<AuditStartRequest['prompts'], string>): AuditPrompt[] {
  return prompts.map((p) => (typeof p === 'string' ? { prompt: p } : p));
}

/**
 * The order prompts are visited in: a seeded permutation (so a file sorted by topic still yields exchangeable
 * pairs), identical on every delivery of the job, which is what lets a resumed audit continue at `nextIndex`.
 */
export function visitOrder(count: number, shuffle: boolean, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return shuffle ? new Rng(`audit-order:${seed}`).shuffle(order) : order;
}
