/**
 * The texts of shared/specs/calibration.md, byte for byte: the question context C (§1.1), the k-shot prefix, the
 * sanitised answer (§1.2), grading (§1.3) and the uncertainty query (§2). Pure functions.
 */

export type QaFormat = 'open' | 'choice';

/** One question of a QA source: open-ended with gold answers, or multiple choice with the right choice's index. */
export interface QaItem {
  question: string;
  /** Open-ended: accepted answers (any one graded correct). */
  answers?: string[];
  /** Multiple choice: options and the index of the right one. */
  choices?: string[];
  label?: number;
}

export const CHOICE_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * What a caller passes as `question` for this item (and what the dataset rows store): the question itself for
 * open-ended items; for multiple choice the question with its choices, `{q}\n\nChoices:\n  (a): …` (§1.1).
 */
export function questionText(item: QaItem, format: QaFormat): string {
  if (format === 'open') return item.question;
  const choices = (item.choices ?? []).map((c, i) => `  (${CHOICE_LETTERS[i]}): ${c}`).join('\n');
  return `${item.question}\n\nChoices:\n${choices}`;
}

/** C of §2: the context up to and including "Answer:" (open: `Question: {q}\nAnswer:`; choice: `Question:\n{q…}\nAnswer:`). */
export function contextText(question: string, format: QaFormat): string {
  return (format === 'open' ? `Question: ${question}\nAnswer:` : `Question:\n${question}\nAnswer:`).trim();
}

/** The gold target of an item: the letter for multiple choice, the first accepted answer for open-ended. */
export function goldTarget(item: QaItem, format: QaFormat): string {
  return format === 'choice' ? CHOICE_LETTERS[item.label ?? 0] : (item.answers ?? [''])[0];
}

/** A solved example (§1.1 LMText): `(C + " " + target).strip()`. */
export function solvedExample(item: QaItem, format: QaFormat): string {
  return `${contextText(questionText(item, format), format)} ${goldTarget(item, format)}`.trim();
}

/**
 * The k-shot prefix of §1.1: a header line, k solved examples (each plus "\n"), a closing line, joined by "\n"
 * (MMLU's wording). Empty for k = 0.
 */
export function kshotPrefix(exemplars: readonly QaItem[], format: QaFormat, subject?: string): string {
  if (exemplars.length === 0) return '';
  const kind = format === 'choice' ? 'multiple-choice ' : '';
  const header = `The following are ${kind}questions (with answers)${subject ? ` about ${subject}` : ''}.`;
  return [header, ...exemplars.map((e) => `${solvedExample(e, format)}\n`), 'Now, answer the next question.\n\n'].join('\n');
}

/**
 * §1.2 sanitisation: strip, "\n\n" → "\n", ":\n" → ":", strip "\n" at both ends, first line only.
 */
export function sanitizeAnswer(raw: string): string {
  let s = raw.trim().replaceAll('\n\n', '\n').replaceAll(':\n', ':');
  s = s.replace(/^\n+|\n+$/g, '');
  return s.split('\n')[0];
}

/** Lowercase, punctuation and articles removed, whitespace collapsed (SQuAD's normalisation). */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * §1.3 grading, as issue 10 asks: open-ended answers are right when a normalised gold answer is a substring of the
 * normalised answer (or equal to it); multiple choice when the answer's letter is the right one (the first letter
 * token after sanitising, lowercase as in the reference; a leading "(" is allowed).
 */
export function gradeAnswer(answer: string, item: QaItem, format: QaFormat): 0 | 1 {
  if (format === 'choice') {
    const letter = /^\(?([a-z])\b/i.exec(answer.trim())?.[1];
    return letter !== undefined && letter === CHOICE_LETTERS[item.label ?? -1] ? 1 : 0;
  }
  const said = normalizeAnswer(answer);
  if (said.length === 0) return 0;
  return (item.answers ?? []).some((gold) => {
    const g = normalizeAnswer(gold);
    return g.length > 0 && (` ${said} `.includes(` ${g} `) || said === g);
  })
    ? 1
    : 0;
}

/** Two answers count as the same (sampling baseline, §3.4, without a judge): equal after normalisation, or one contains the other. */
export function sameAnswer(a: string, b: string): boolean {
  const x = normalizeAnswer(a);
  const y = normalizeAnswer(b);
  if (x.length === 0 || y.length === 0) return x === y;
  return x === y || ` ${x} `.includes(` ${y} `) || ` ${y} `.includes(` ${x} `);
}

/** The uncertainty query of §2, exactly: `{C} {P}\n\nIs the proposed answer correct?\nChoices:\n(i): no\n(ii): yes\nAnswer:`. */
export function uncertaintyQuery(context: string, answer: string): string {
  return `${context} ${answer}\n\nIs the proposed answer correct?\nChoices:\n(i): no\n(ii): yes\nAnswer:`.trim();
}

/** The option strings whose last token ids give z_no and z_yes (§2: `tokenizer(t).input_ids[-1]`, with the leading space of the continuation). */
export const QUERY_OPTIONS = { no: ' i', yes: ' ii' } as const;

/** The probe's input (§3.2): C + " " + P, without the query. */
export function probeText(context: string, answer: string): string {
  return `${context} ${answer}`;
}

/** Verbalised confidence prompt (§3.4): ` {P}\n\n` then a request for the probability, ending "Probability:". */
export function verbalPrompt(context: string, answer: string): string {
  return `${context} ${answer}\n\nProvide only the probability (between 0.0 and 1.0) that the proposed answer is correct.\nProbability:`;
}

/** §3.4: the float after the last ":" of the first line, else 0.5; clamped to [0, 1] (pitfall 9). */
export function parseVerbalProbability(generated: string): number {
  const first = generated.trim().split('\n')[0] ?? '';
  const tail = first.slice(first.lastIndexOf(':') + 1);
  const match = /-?\d*\.?\d+(e-?\d+)?/i.exec(tail);
  const p = match ? Number(match[0]) : NaN;
  if (!Number.isFinite(p)) return 0.5;
  return Math.min(1, Math.max(0, p));
}
